"""Benchmarks: run by scripts/bench, not by the normal test suite."""
