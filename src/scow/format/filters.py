"""owns: how docker's `--filter` values match (moby api/types/filters), for every filter of
containers, volumes and events: a name or ID pattern (equal, or a regular expression found in
the text: filters.Match), and a `label=KEY[=VALUE]` against labels."""

from __future__ import annotations


def match(pattern: str, text: str) -> bool:
    """docker's filters.Match: `pattern` equal to `text`, or as a regular expression found
    in it (an invalid expression matches only by equality)."""
    if pattern == text:
        return True
    import re  # only for a pattern: `re` costs start-up (`ps` with no filter)

    try:
        return re.search(pattern, text) is not None
    except re.error:
        return False


def label_matches(value: str, labels: dict[str, str]) -> bool:
    """A `label` filter's `KEY` (present) or `KEY=VALUE` (present with that value)."""
    key, sep, want = value.partition("=")
    return key in labels and (not sep or labels[key] == want)


__all__ = ["label_matches", "match"]
