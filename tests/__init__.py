"""The laborwatch test suite."""
