"""owns: registry authentication: parsing WWW-Authenticate challenges (RFC 7235), fetching
bearer tokens from the challenge's realm (`GET realm?service=..&scope=..&scope=..`, Basic
credentials when known), a token cache keyed by the scope string, and the Authorization header
for a request. Transport-free: the HTTP GET for a token is a callable the session gives.

Scopes are docker's `repository:<path>:<actions>` strings; one request may need several
(a cross-repository mount needs `repository:dst:pull,push repository:src:pull` in one token).
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

from scow.errors import InvalidArgument, RegistryUnauthorized
from scow.oci.jsondoc import load_document
from scow.registry.credentials import Credentials

# (url, headers) -> (status, body bytes); raises scow errors for transport failures
TokenGetter = Callable[[str, dict[str, str]], tuple[int, bytes]]

_TOKEN_MARGIN = 10.0  # seconds before expiry at which a cached token is renewed
_DEFAULT_EXPIRES_IN = 60  # the distribution spec's default


@dataclass(frozen=True, slots=True)
class Challenge:
    scheme: str  # lowercase: "bearer", "basic"
    params: dict[str, str] = field(default_factory=dict)


def pull_scope(repo: str) -> str:
    return f"repository:{repo}:pull"


def push_scope(repo: str) -> str:
    return f"repository:{repo}:pull,push"


def _token(text: str, i: int) -> tuple[str, int]:
    j = i
    while j < len(text) and text[j] not in ' \t,="':
        j += 1
    return text[i:j], j


def _skip_ws(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t":
        i += 1
    return i


def _quoted(text: str, i: int) -> tuple[str, int]:
    out: list[str] = []
    i += 1  # opening quote
    while i < len(text) and text[i] != '"':
        if text[i] == "\\" and i + 1 < len(text):
            i += 1
        out.append(text[i])
        i += 1
    return "".join(out), i + 1


def parse_challenges(header: str) -> list[Challenge]:
    """Every challenge of a WWW-Authenticate value, e.g.
    `Bearer realm="https://auth/token",service="reg",scope="repository:x:pull"`."""
    out: list[Challenge] = []
    i, n = 0, len(header)
    while i < n:
        i = _skip_ws(header, i)
        scheme, i = _token(header, i)
        if not scheme:
            i += 1
            continue
        params: dict[str, str] = {}
        while i < n:
            i = _skip_ws(header, i)
            start = i
            name, i = _token(header, i)
            i = _skip_ws(header, i)
            if not name or i >= n or header[i] != "=":
                i = start  # a new challenge (or junk) begins here
                break
            i = _skip_ws(header, i + 1)
            if i < n and header[i] == '"':
                value, i = _quoted(header, i)
            else:
                value, i = _token(header, i)
            params[name.lower()] = value
            i = _skip_ws(header, i)
            if i < n and header[i] == ",":
                i += 1
        out.append(Challenge(scheme.lower(), params))
        if i < n and header[i] == ",":
            i += 1
    return out


def basic_header(creds: Credentials) -> str:
    raw = f"{creds.username}:{creds.password}".encode()
    return "Basic " + base64.b64encode(raw).decode()


class Authenticator:
    """Authorization headers for one registry; thread-safe (one lock around the cache, token
    fetches for different scopes may run in parallel, the same scope at most twice)."""

    def __init__(self, host: str, credentials: Credentials | None, get: TokenGetter, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._host = host
        self._clock = clock
        self._creds = credentials
        self._get = get
        self._lock = threading.Lock()
        self._challenge: Challenge | None = None
        self._tokens: dict[str, tuple[str, float]] = {}

    def set_challenge(self, header: str) -> bool:
        """Record the registry's challenge; True when it is one we can answer."""
        for ch in parse_challenges(header):
            if ch.scheme == "bearer" and "realm" in ch.params or \
                    ch.scheme == "basic" and self._creds is not None:
                with self._lock:
                    self._challenge = ch
                return True
        return False

    @property
    def scheme(self) -> str | None:
        return self._challenge.scheme if self._challenge else None

    def header(self, scopes: Sequence[str]) -> str | None:
        """The Authorization value for a request needing `scopes` (None: send nothing)."""
        ch = self._challenge
        if ch is None:
            return None
        if ch.scheme == "basic":
            return basic_header(self._creds) if self._creds else None
        return "Bearer " + self.token(scopes)

    def forget(self, scopes: Sequence[str]) -> None:
        with self._lock:
            self._tokens.pop(" ".join(sorted(scopes)), None)

    def token(self, scopes: Sequence[str]) -> str:
        key = " ".join(sorted(scopes))
        with self._lock:
            cached = self._tokens.get(key)
        if cached and cached[1] > self._clock():
            return cached[0]
        token, expires_in = self._fetch(scopes)
        with self._lock:
            lifetime = expires_in - min(_TOKEN_MARGIN, expires_in / 2)
            self._tokens[key] = (token, self._clock() + lifetime)
        return token

    def _fetch(self, scopes: Sequence[str]) -> tuple[str, float]:
        ch = self._challenge
        assert ch is not None and ch.scheme == "bearer"
        query: list[tuple[str, str]] = []
        if "service" in ch.params:
            query.append(("service", ch.params["service"]))
        query += [("scope", s) for s in scopes]
        headers: dict[str, str] = {}
        if self._creds is not None:
            query.append(("account", self._creds.username))
            headers["Authorization"] = basic_header(self._creds)
        realm = ch.params["realm"]
        url = realm + ("&" if "?" in realm else "?") + urlencode(query) if query else realm
        status, body = self._get(url, headers)
        if status in (401, 403):
            raise RegistryUnauthorized(
                f"get token for {self._host}: {error_text(body) or 'unauthorized'}")
        if status != 200:
            raise RegistryUnauthorized(f"get token for {self._host}: status {status}")
        return _parse_token(body, self._host)


def _parse_token(body: bytes, host: str) -> tuple[str, float]:
    try:
        doc = load_document(body, "token")
    except InvalidArgument as exc:
        raise RegistryUnauthorized(f"get token for {host}: response is not JSON") from exc
    token = doc.get("token") or doc.get("access_token") if isinstance(doc, dict) else None
    if not isinstance(token, str) or not token:
        raise RegistryUnauthorized(f"get token for {host}: response has no token")
    expires = doc.get("expires_in")
    if not isinstance(expires, int | float) or isinstance(expires, bool) or expires <= 0:
        expires = _DEFAULT_EXPIRES_IN
    return token, float(expires)


def error_text(body: bytes) -> str:
    """A one-line message from a registry or token server error body."""
    try:
        doc = load_document(body, "error body")
    except InvalidArgument:
        return body[:200].decode("utf-8", "replace").strip().splitlines()[0] if body.strip() \
            else ""
    if isinstance(doc, dict):
        errors = doc.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            code = str(errors[0].get("code", "")).lower().replace("_", " ")
            msg = str(errors[0].get("message", ""))
            return f"{code}: {msg}" if code and msg else code or msg
        for key in ("details", "detail", "error", "message"):
            if isinstance(doc.get(key), str):
                return str(doc[key])
    return ""


