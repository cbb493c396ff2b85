"""Where the project's files are, for tests and benchmarks."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_MEETING = ROOT / "data" / "meetings" / "theorie-du-deep-learning-2021.toml"
