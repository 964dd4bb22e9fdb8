"""Keys: who may write (and, for restricted reports, read), by role; and how routes declare it."""
