"""The audit log: recording each write in its transaction, and reading it as a feed."""
