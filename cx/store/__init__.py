"""Storage: the DuckDB file, its schema and migrations."""
