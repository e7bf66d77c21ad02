"""Benchmarks of Core."""
