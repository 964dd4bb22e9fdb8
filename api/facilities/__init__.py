"""Facilities: routes, listing (filters, query, shape), the worker-figure rule, names, merges."""
