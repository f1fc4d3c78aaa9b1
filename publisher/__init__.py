"""Linked-data publisher for curated diplomatic facts."""

__version__ = "0.1.0"
