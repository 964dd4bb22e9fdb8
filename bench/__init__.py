"""Benchmarks: not tests; each prints the figures it measures."""
