"""REST API v1 of regions, indicators and figures (same policy and services as the pages)."""
