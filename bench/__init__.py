"""Benchmarks against the fake Discord: `make bench` (never run by the tests)."""
