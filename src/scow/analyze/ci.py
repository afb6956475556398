"""owns: dive's CI rules, with dive's names, defaults, value syntax and messages:
``lowestEfficiency`` (0.9), ``highestWastedBytes`` (disabled), ``highestUserWastedPercent``
(0.1); set from flags or from a `.dive-ci`-style file::

    rules:
      lowestEfficiency: 0.95
      highestWastedBytes: 20MB
      highestUserWastedPercent: 0.20

A value "disabled" (or "off") turns a rule off. Byte values use go-humanize's syntax (20MB is
20,000,000 bytes, 20MiB is 20·2^20).
"""

from __future__ import annotations

import math
import re
from typing import NamedTuple

from scow.analyze.report import Analysis
from scow.errors import InvalidArgument

LOWEST_EFFICIENCY = "lowestEfficiency"
HIGHEST_WASTED_BYTES = "highestWastedBytes"
HIGHEST_USER_WASTED_PERCENT = "highestUserWastedPercent"
DEFAULTS = {LOWEST_EFFICIENCY: "0.9", HIGHEST_WASTED_BYTES: "disabled",
            HIGHEST_USER_WASTED_PERCENT: "0.1"}
MAX_CONFIG_BYTES = 1 << 16

_UNITS = {"": 1, "b": 1, "k": 10**3, "kb": 10**3, "m": 10**6, "mb": 10**6, "g": 10**9,
          "gb": 10**9, "t": 10**12, "tb": 10**12, "kib": 1 << 10, "ki": 1 << 10,
          "mib": 1 << 20, "mi": 1 << 20, "gib": 1 << 30, "gi": 1 << 30, "tib": 1 << 40,
          "ti": 1 << 40}


class RuleResult(NamedTuple):
    key: str
    status: str  # PASS, FAIL, SKIP
    message: str


def read_config(path: str) -> dict[str, str]:
    """The rules of a .dive-ci file (only its `rules:` mapping of scalars is read)."""
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise InvalidArgument(f"read ci config {path}: {exc.strerror or exc}") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise InvalidArgument(f"read ci config {path}: over {MAX_CONFIG_BYTES} bytes")
    rules: dict[str, str] = {}
    in_rules = False
    for lineno, line in enumerate(raw.decode("utf-8", "replace").splitlines(), 1):
        text = line.split("#", 1)[0].rstrip()
        if not text.strip():
            continue
        if not text.startswith((" ", "\t")):
            in_rules = text.strip() == "rules:"
            continue
        key, sep, value = text.strip().partition(":")
        if in_rules:
            if not sep or key not in DEFAULTS:
                raise InvalidArgument(f"read ci config {path}: line {lineno}: unknown rule "
                                      f"{key!r}")
            rules[key] = value.strip().strip("\"'")
    return rules


def evaluate(analysis: Analysis, config: dict[str, str]) -> list[RuleResult]:
    values = {**DEFAULTS, **config}
    return [_efficiency(analysis, values[LOWEST_EFFICIENCY]),
            _wasted_bytes(analysis, values[HIGHEST_WASTED_BYTES]),
            _wasted_percent(analysis, values[HIGHEST_USER_WASTED_PERCENT])]


def validate(config: dict[str, str]) -> None:
    """Raise InvalidArgument for a rule value dive would refuse."""
    values = {**DEFAULTS, **config}
    for key in (LOWEST_EFFICIENCY, HIGHEST_USER_WASTED_PERCENT):
        if not _disabled(values[key]):
            _fraction(key, values[key])
    if not _disabled(values[HIGHEST_WASTED_BYTES]):
        parse_bytes(values[HIGHEST_WASTED_BYTES])


def _disabled(value: str) -> bool:
    return value.strip().lower() in ("disabled", "off", "false", "")


def _fraction(key: str, value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise InvalidArgument(f"invalid {key} config value, given {value!r}") from None
    if not 0 <= number <= 1:
        raise InvalidArgument(f"{key} config value is outside allowed range (0-1), "
                              f"given {value!r}")
    return number


def parse_bytes(value: str) -> int:
    """go-humanize's ParseBytes: "20MB" → 20000000, "1.5GiB", "42"."""
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]*)?)\s*([A-Za-z]*)\s*", value.replace(",", ""))
    unit = _UNITS.get(match.group(2).lower()) if match else None
    if match is None or unit is None:
        raise InvalidArgument(f"invalid {HIGHEST_WASTED_BYTES} config value, given {value!r}")
    return int(float(match.group(1)) * unit)


def _efficiency(analysis: Analysis, value: str) -> RuleResult:
    if _disabled(value):
        return RuleResult(LOWEST_EFFICIENCY, "SKIP", "rule disabled")
    threshold = _fraction(LOWEST_EFFICIENCY, value)
    if threshold > analysis.efficiency:
        return RuleResult(LOWEST_EFFICIENCY, "FAIL", "image efficiency is too low "
                          f"(efficiency={analysis.efficiency:.2f} < threshold={value})")
    return RuleResult(LOWEST_EFFICIENCY, "PASS", "")


def _wasted_bytes(analysis: Analysis, value: str) -> RuleResult:
    if _disabled(value):
        return RuleResult(HIGHEST_WASTED_BYTES, "SKIP", "rule disabled")
    threshold = parse_bytes(value)
    if analysis.wasted_bytes > threshold:
        return RuleResult(HIGHEST_WASTED_BYTES, "FAIL", "too many bytes wasted "
                          f"(wasted-bytes={analysis.wasted_bytes} > threshold={value})")
    return RuleResult(HIGHEST_WASTED_BYTES, "PASS", "")


def _wasted_percent(analysis: Analysis, value: str) -> RuleResult:
    if _disabled(value):
        return RuleResult(HIGHEST_USER_WASTED_PERCENT, "SKIP", "rule disabled")
    threshold = _fraction(HIGHEST_USER_WASTED_PERCENT, value)
    percent = analysis.user_wasted_percent
    if math.isfinite(percent) and percent > threshold:
        return RuleResult(HIGHEST_USER_WASTED_PERCENT, "FAIL", "too many bytes wasted, "
                          f"relative to the user bytes added (%-user-wasted-bytes="
                          f"{percent:.2f} > threshold={value})")
    return RuleResult(HIGHEST_USER_WASTED_PERCENT, "PASS", "")
