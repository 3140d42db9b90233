"""Benchmarks: generator and side-by-side runs (see bench/README.md)."""
