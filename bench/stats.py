"""Small statistics for benchmark tables."""

from __future__ import annotations

import math


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) of `values`."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = max(math.ceil(q / 100 * len(ordered)) - 1, 0)
    return ordered[rank]


def summary_ms(seconds: list[float]) -> dict[str, float]:
    """p50, p99 and max of durations in seconds, as milliseconds."""
    return {
        "p50_ms": round(percentile(seconds, 50) * 1000, 1),
        "p99_ms": round(percentile(seconds, 99) * 1000, 1),
        "max_ms": round(max(seconds) * 1000, 1) if seconds else math.nan,
    }
