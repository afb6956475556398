"""docker's filter value matching (scow.format.filters), the one matcher that the container,
volume and event filters share."""

from __future__ import annotations

from scow.format.filters import label_matches, match


def test_match_is_equality_or_a_regular_expression_found() -> None:
    assert match("web", "web") and match("^we", "web") and match("e", "web")
    assert not match("^eb", "web")
    assert match("[", "[") and not match("[", "web[x")  # an invalid expression: equality only


def test_label_key_or_key_and_value() -> None:
    labels = {"a": "1", "b": ""}
    assert label_matches("a", labels) and label_matches("a=1", labels)
    assert label_matches("b=", labels) and not label_matches("a=2", labels)
    assert not label_matches("c", labels)
