"""owns: `volume ls --filter` (moby's volume service): name (docker's filters.Match: equal
or a regular expression found in the name), driver, label (key or key=value), dangling (no
container mounts it); docker's errors for bad keys and values."""

from __future__ import annotations

from collections.abc import Callable

from scow.errors import InvalidArgument
from scow.format.filters import label_matches, match

KEYS = ("dangling", "driver", "label", "name")
_BOOLS = {"true": True, "1": True, "false": False, "0": False}


def check(filters: dict[str, list[str]]) -> None:
    """Refuse unknown keys and dangling values that are not a boolean, as moby does."""
    for key in filters:
        if key not in KEYS:
            raise InvalidArgument(f"invalid filter '{key}'")
    values = filters.get("dangling", [])
    if any(v not in _BOOLS for v in values):
        raise InvalidArgument(f"Invalid filter 'dangling={values}'")


def matches(name: str, labels: dict[str, str], filters: dict[str, list[str]],
            in_use: bool) -> bool:
    """Whether the volume `name` passes every key (and one of the key's values)."""
    tests: dict[str, Callable[[str], bool]] = {
        "name": lambda v: match(v, name),
        "driver": lambda v: match(v, "local"),
        "label": lambda v: label_matches(v, labels),
        "dangling": lambda v: _BOOLS[v] != in_use,
    }
    return all(any(test(v) for v in filters[key]) for key, test in tests.items()
               if key in filters)
