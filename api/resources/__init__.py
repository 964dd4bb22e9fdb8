"""The listed resources, one module each: filters, query, sort keys, id column and the shaping of a row."""
