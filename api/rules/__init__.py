"""Shared rules with one home each: search text, folding, the worker figure, following merges, data version.

The read side (`api.resources`, `api.queries`) and the write side (`api.ingest`) both call these and never
each other; this package imports nothing of ours but `models`.
"""
