"""Ingest jobs, one module per public source, and the registry of those sources."""
