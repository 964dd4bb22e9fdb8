"""The OpenAPI document as clients read it, and its two documentation pages (/docs, /redoc)."""
