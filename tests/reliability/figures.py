"""The counters the reliability suite gathers for docs/reliability.md (one module, so the
conftest and the tests share them)."""

from __future__ import annotations

from collections import Counter

FIGURES: Counter[str] = Counter()
