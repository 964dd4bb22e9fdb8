"""laborwatch: a provenance-first REST API of reports on overseas North Korean labour."""
