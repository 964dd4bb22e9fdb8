"""Reports: routes, listing (filters, query, shape), and the writes (add, replace, delete)."""
