"""Benchmarks: synthetic data generation and measurement scripts (issue 6)."""
