"""owns: `--change` instructions of `import` and `commit` (docker's BuildFromConfig subset):
CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, USER, VOLUME, WORKDIR, STOPSIGNAL, applied to a
container config dict."""

from __future__ import annotations

import shlex
from typing import Any

from scow.errors import InvalidArgument
from scow.oci.jsondoc import load_document

ALLOWED = ("CMD", "ENTRYPOINT", "ENV", "EXPOSE", "LABEL", "ONBUILD", "USER", "VOLUME",
           "WORKDIR", "STOPSIGNAL")


def apply_changes(config: dict[str, Any], changes: list[str]) -> dict[str, Any]:
    out = dict(config)
    for change in changes:
        keyword, _, rest = change.strip().partition(" ")
        keyword, rest = keyword.upper(), rest.strip()
        if keyword not in ALLOWED:
            raise InvalidArgument(f"{keyword.lower()} is not a valid change command")
        _apply(out, keyword, rest)
    return out


def _apply(out: dict[str, Any], keyword: str, rest: str) -> None:
    if keyword in ("CMD", "ENTRYPOINT"):
        out["Cmd" if keyword == "CMD" else "Entrypoint"] = _command(rest)
    elif keyword == "ENV":
        env = [e for e in out.get("Env") or []]
        for key, value in _pairs(rest, keyword):
            env = [e for e in env if e.split("=", 1)[0] != key] + [f"{key}={value}"]
        out["Env"] = env
    elif keyword == "LABEL":
        labels = dict(out.get("Labels") or {})
        labels.update(dict(_pairs(rest, keyword)))
        out["Labels"] = labels
    elif keyword == "EXPOSE":
        ports = dict(out.get("ExposedPorts") or {})
        for port in rest.split():
            ports[port if "/" in port else port + "/tcp"] = {}
        out["ExposedPorts"] = ports
    elif keyword == "VOLUME":
        vols = dict(out.get("Volumes") or {})
        for v in _list(rest):
            vols[v] = {}
        out["Volumes"] = vols
    elif keyword == "ONBUILD":
        out["OnBuild"] = list(out.get("OnBuild") or []) + [rest]
    else:
        key = {"USER": "User", "WORKDIR": "WorkingDir", "STOPSIGNAL": "StopSignal"}[keyword]
        if not rest:
            raise InvalidArgument(f"{keyword} requires exactly one argument")
        out[key] = rest


def _command(rest: str) -> list[str]:
    if rest.startswith("["):
        try:
            value = load_document(rest, "parse change")
        except InvalidArgument:
            value = None  # not JSON (or nested too deeply): a shell form, as docker
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return value
    return ["/bin/sh", "-c", rest]


def _list(rest: str) -> list[str]:
    if rest.startswith("["):
        try:
            value = load_document(rest, "parse change")
            if isinstance(value, list):
                return [str(v) for v in value]
        except InvalidArgument:
            pass
    return rest.split()


def _pairs(rest: str, keyword: str) -> list[tuple[str, str]]:
    try:
        words = shlex.split(rest)
    except ValueError as exc:
        raise InvalidArgument(f"{keyword}: {exc}") from None
    if words and "=" not in words[0]:
        if len(words) < 2:
            raise InvalidArgument(f"{keyword} requires at least two arguments")
        return [(words[0], " ".join(rest.split(None, 1)[1:]))]
    pairs = []
    for word in words:
        key, sep, value = word.partition("=")
        if not sep or not key:
            raise InvalidArgument(f"{keyword} names can not be blank: {word!r}")
        pairs.append((key, value))
    return pairs
