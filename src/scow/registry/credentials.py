"""owns: registry credentials in docker's client config file, and docker credential helpers.

On-disk layout (shared with the docker CLI, so only the keys below are touched; every other
key of the file is kept as it was):

    $DOCKER_CONFIG/config.json   (default ~/.docker/config.json, mode 0600, folder 0700)
    {
      "auths": {"https://index.docker.io/v1/": {"auth": base64("user:password")},
                "127.0.0.1:5000": {"auth": "..."}},
      "credsStore": "pass",                        # helper for every registry (optional)
      "credHelpers": {"registry.example": "ecr"}   # helper per registry (optional)
    }

A helper is the program `docker-credential-<name>` with the verbs `get`/`store`/`erase`
(server URL or a JSON record on stdin, JSON on stdout). Writes are atomic (temp, fsync, rename).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from typing import Any

from scow.errors import InternalError, InvalidArgument, NotFound, Unavailable, from_oserror
from scow.oci.jsondoc import load_document
from scow.osutil.atomic import atomic_write

DOCKER_HUB_KEY = "https://index.docker.io/v1/"
_HUB_NAMES = ("docker.io", "index.docker.io", "registry-1.docker.io")


@dataclass(frozen=True, slots=True)
class Credentials:
    username: str
    password: str

    def __repr__(self) -> str:  # never print a secret
        return f"Credentials(username={self.username!r}, password=***)"


def config_path() -> str:
    folder = os.environ.get("DOCKER_CONFIG") or os.path.join(os.path.expanduser("~"), ".docker")
    return os.path.join(folder, "config.json")


def server_key(domain: str) -> str:
    """The key docker uses for a registry in `auths` and for helpers."""
    host = hostname_of(domain)
    return DOCKER_HUB_KEY if host in _HUB_NAMES else host


def hostname_of(key: str) -> str:
    """docker's ConvertToHostname: `https://host:5000/v1/` -> `host:5000`."""
    for prefix in ("https://", "http://"):
        if key.startswith(prefix):
            key = key[len(prefix):]
    return key.split("/", 1)[0]


def load_config(path: str | None = None) -> dict[str, Any]:
    """The config file as a JSON object ({} when it does not exist)."""
    path = path or config_path()
    try:
        with open(path, "rb") as f:
            data = f.read(16 * 1024 * 1024)
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise from_oserror(f"read {path}", exc) from exc
    doc = load_document(data, f"read {path}", limit=len(data),
                        error=InvalidArgument) if data.strip() else {}
    if not isinstance(doc, dict):
        raise InvalidArgument(f"read {path}: not a JSON object")
    return doc


def _save_config(doc: dict[str, Any], path: str) -> None:
    folder = os.path.dirname(path) or "."
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        atomic_write(path, (json.dumps(doc, indent="\t") + "\n").encode(), mode=0o600)
    except OSError as exc:
        raise from_oserror(f"write {path}", exc) from exc


def _helper_for(doc: dict[str, Any], host: str) -> str | None:
    helpers = doc.get("credHelpers")
    if isinstance(helpers, dict):
        for key, name in helpers.items():
            if hostname_of(key) == host and isinstance(name, str) and name:
                return name
    store = doc.get("credsStore")
    return store if isinstance(store, str) and store else None


def _decode_auth(entry: object, key: str) -> Credentials | None:
    if not isinstance(entry, dict):
        return None
    raw = entry.get("auth")
    if isinstance(raw, str) and raw:
        try:
            text = base64.b64decode(raw, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise InvalidArgument(f"read credentials for {key}: invalid base64 auth") from exc
        user, sep, password = text.partition(":")
        if not sep:
            raise InvalidArgument(f"read credentials for {key}: auth is not user:password")
        return Credentials(user, password)
    name, secret = entry.get("username"), entry.get("password")
    if isinstance(name, str) and isinstance(secret, str) and name:
        return Credentials(name, secret)
    return None


def get_credentials(domain: str, path: str | None = None) -> Credentials | None:
    """The credentials stored for `domain` (helper first, as docker), or None."""
    doc = load_config(path)
    key = server_key(domain)
    host = hostname_of(key)
    helper = _helper_for(doc, host)
    if helper is not None:
        found = _helper_get(helper, key)
        if found is not None:
            return found
    auths = doc.get("auths")
    if not isinstance(auths, dict):
        return None
    if key in auths:
        return _decode_auth(auths[key], key)
    for other, entry in auths.items():
        if hostname_of(other) == host or (host == hostname_of(DOCKER_HUB_KEY)
                                          and hostname_of(other) in _HUB_NAMES):
            return _decode_auth(entry, other)
    return None


def store_credentials(domain: str, creds: Credentials, path: str | None = None) -> None:
    """Save `creds` for `domain`: in its helper when one is configured, else in `auths`."""
    path = path or config_path()
    doc = load_config(path)
    key = server_key(domain)
    helper = _helper_for(doc, hostname_of(key))
    auths = doc.get("auths")
    auths = auths if isinstance(auths, dict) else {}
    if helper is not None:
        record = {"ServerURL": key, "Username": creds.username, "Secret": creds.password}
        _run_helper(helper, "store", json.dumps(record))
        auths[key] = {}
    else:
        raw = f"{creds.username}:{creds.password}".encode()
        auths[key] = {"auth": base64.b64encode(raw).decode()}
    doc["auths"] = auths
    _save_config(doc, path)


def remove_credentials(domain: str, path: str | None = None) -> bool:
    """Forget the credentials of `domain`; False when there were none."""
    path = path or config_path()
    doc = load_config(path)
    key = server_key(domain)
    host = hostname_of(key)
    removed = False
    helper = _helper_for(doc, host)
    if helper is not None:
        try:
            _run_helper(helper, "erase", key)
            removed = True
        except NotFound:
            pass
    auths = doc.get("auths")
    if isinstance(auths, dict):
        for other in [k for k in auths if hostname_of(k) == host or k == key]:
            del auths[other]
            removed = True
    if removed:
        _save_config(doc, path)
    return removed


def _helper_get(helper: str, key: str) -> Credentials | None:
    try:
        out = _run_helper(helper, "get", key)
    except NotFound:
        return None
    try:
        doc = load_document(out, "credential helper answer")
        user, secret = doc["Username"], doc["Secret"]
    except (InvalidArgument, KeyError, TypeError) as exc:
        raise InvalidArgument(f"get credentials from docker-credential-{helper}: "
                              "malformed answer") from exc
    if not isinstance(user, str) or not isinstance(secret, str):
        raise InvalidArgument(f"get credentials from docker-credential-{helper}: "
                              "malformed answer")
    return Credentials(user, secret)


def _run_helper(helper: str, verb: str, stdin: str) -> str:
    """Run `docker-credential-<helper> <verb>`; NotFound when it knows no such credentials."""
    program = f"docker-credential-{helper}"
    exe = shutil.which(program)
    if exe is None:
        raise NotFound(f"{verb} credentials: {program} is not installed")
    try:
        proc = subprocess.run([exe, verb], input=stdin.encode(), capture_output=True,
                              timeout=60, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        raise Unavailable(f"{verb} credentials with {program}: {exc}") from exc
    text = (proc.stdout or proc.stderr).decode("utf-8", "replace").strip()
    if proc.returncode != 0:
        if "credentials not found" in text.lower():
            raise NotFound(f"{verb} credentials: {program}: {text}")
        line = text.splitlines()[0] if text else f"exit status {proc.returncode}"
        raise InternalError(f"{verb} credentials with {program}: {line}")
    return proc.stdout.decode("utf-8", "replace")
