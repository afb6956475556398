"""scow.api.params: docker's query-bool rule, both shapes of `filters`, X-Registry-Auth."""

from __future__ import annotations

import base64
import json

import pytest

from scow.api.params import filters, json_map, qbool, qint, registry_auth
from scow.errors import InvalidArgument


@pytest.mark.parametrize("value", ["", "0", "no", "false", "None", " FALSE "])
def test_false_values(value: str) -> None:
    assert qbool({"all": value}, "all") is False


@pytest.mark.parametrize("value", ["1", "True", "yes", "x"])
def test_true_values(value: str) -> None:
    assert qbool({"all": value}, "all") is True


def test_absent_bool_is_the_default() -> None:
    assert qbool({}, "rm", True) is True and qbool({}, "rm") is False


def test_filters_in_both_shapes() -> None:
    cli = {"filters": json.dumps({"name": {"trace_": True, "off": False}})}
    py = {"filters": json.dumps({"name": ["trace_py"], "label": "a=b"})}
    assert filters(cli) == {"name": ["trace_"]}
    assert filters(py) == {"name": ["trace_py"], "label": ["a=b"]}
    assert filters({}) == {}


@pytest.mark.parametrize("raw", ["{", "[]", '{"name": 3}'])
def test_bad_filters_are_invalid_arguments(raw: str) -> None:
    with pytest.raises(InvalidArgument, match="invalid filters"):
        filters({"filters": raw})


def test_registry_auth() -> None:
    header = base64.urlsafe_b64encode(json.dumps({"username": "u"}).encode()).decode()
    assert registry_auth(header.rstrip("=")) == {"username": "u"}
    assert registry_auth("e30=") == {} and registry_auth(None) == {}
    with pytest.raises(InvalidArgument, match="decode X-Registry-Auth"):
        registry_auth("!!!")


def test_ints_and_json_maps() -> None:
    assert qint({"t": "3"}, "t") == 3 and qint({}, "t", 10) == 10
    with pytest.raises(InvalidArgument, match="not an integer"):
        qint({"t": "x"}, "t")
    assert json_map({"buildargs": '{"A": "1", "B": null}'}, "buildargs") == {"A": "1", "B": ""}
