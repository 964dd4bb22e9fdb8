"""Shared tools that know no resource: listing and paging, cursors, exports, search, parameters, types."""
