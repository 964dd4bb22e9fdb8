"""Claims: routes, listing (filters, query, shape), an analyst's corrections."""
