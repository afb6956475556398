"""owns: the HTTP side of talking to one registry, on urllib3: the scheme choice (HTTPS; plain
HTTP only for loopback hosts and registries named insecure), the /v2/ ping that learns the auth
challenge, Authorization headers per request scope (retry once on a fresh 401), redirects that
never carry credentials to another host, token realms that get the credentials only over https
(or plain http to the registry's own host and port), the total deadline of small answers
(registry/deadline.py), and the one translation of transport failures and registry error
bodies into scow errors.

urllib3 (and with it ssl and http.client) is imported here only, when a Session is made.
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from scow.errors import (
    InvalidArgument,
    NotFound,
    RegistryDenied,
    RegistryUnauthorized,
    RegistryUnavailable,
    ScowError,
)
from scow.registry.auth import Authenticator, error_text
from scow.registry.credentials import Credentials
from scow.registry.deadline import DeadlineExceeded, default_deadline, within
from scow.registry.deadline import install as install_deadlines

if TYPE_CHECKING:
    import urllib3

Body = bytes | Iterable[bytes] | None
BodyFactory = Callable[[], Body]
_MAX_ERROR_BODY = 64 * 1024
_REDIRECTS = (301, 302, 303, 307, 308)
DEFAULT_USER_AGENT = "scow"


def registry_host(domain: str) -> str:
    """The host to contact for a reference's domain (docker.io is served elsewhere)."""
    return "registry-1.docker.io" if domain in ("docker.io", "index.docker.io") else domain


def is_loopback(host: str) -> bool:
    """localhost, 127.0.0.0/8 or ::1, with or without a port."""
    name = host
    if name.startswith("["):
        name = name[1:].split("]", 1)[0]
    elif name.count(":") == 1:
        name = name.split(":", 1)[0]
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def failure_reason(exc: BaseException) -> str:
    """The innermost useful text of a urllib3/OS error, on one line."""
    import ssl

    seen: BaseException | None = exc
    reason = str(exc)
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            reason = f"certificate verify failed: {seen.verify_message}"
        elif isinstance(seen, ssl.SSLError):
            reason = f"tls: {seen.reason or seen}"
        elif isinstance(seen, OSError) and seen.strerror:
            reason = seen.strerror
        inner = getattr(seen, "reason", None)
        nxt = inner if isinstance(inner, BaseException) else seen.__cause__ or seen.__context__
        if nxt is seen:
            break
        seen = nxt
    return " ".join(reason.split()).lower()


def status_error(verb: str, status: int, body: bytes, *,
                 not_found: type[NotFound] = NotFound) -> ScowError:
    """The scow error for a registry answer with an unexpected status."""
    text = error_text(body) or f"status {status}"
    msg = f"{verb}: {text}"
    if status == 401:
        return RegistryUnauthorized(msg)
    if status == 403:
        return RegistryDenied(msg)
    if status == 404:
        return not_found(msg)
    if status in (400, 405, 411, 413, 416):
        return InvalidArgument(msg)
    return RegistryUnavailable(msg)


class Session:
    """One registry's connection pool and auth state; thread-safe."""

    def __init__(self, domain: str, *, insecure: bool = False, ca_file: str | None = None,
                 credentials: Credentials | None = None,
                 user_agent: str = DEFAULT_USER_AGENT, timeout: float = 60.0,
                 deadline: float | None = None) -> None:
        import urllib3

        self.host = registry_host(domain)
        self.plain_allowed = insecure or is_loopback(self.host)
        self.user_agent = user_agent
        self._pool = urllib3.PoolManager(
            num_pools=8, maxsize=8, retries=False, ca_certs=ca_file,
            cert_reqs="CERT_NONE" if insecure else "CERT_REQUIRED",
            timeout=urllib3.Timeout(connect=min(timeout, 30.0), read=timeout))
        install_deadlines(self._pool)
        self.deadline = default_deadline() if deadline is None else deadline
        self._urllib3 = urllib3
        if insecure:  # the user named this registry insecure: no warning per request
            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        self._base: str | None = None
        self._ping_lock = threading.Lock()
        self.auth = Authenticator(self.host, credentials, self._get_token)

    def close(self) -> None:
        self._pool.clear()

    def bounded(self, verb: str) -> AbstractContextManager[None]:
        """A block whose responses must arrive whole within the session's deadline (small
        documents: manifests, configs, tokens; see registry/deadline.py)."""
        return within(self.deadline, verb)

    # -- ping ---------------------------------------------------------------------------------
    def base_url(self) -> str:
        """`https://host` or `http://host`, decided by the first ping."""
        if self._base is None:
            with self._ping_lock:
                if self._base is None:
                    self._ping_locked()
        assert self._base is not None
        return self._base

    def ping(self) -> int:
        """GET /v2/; learn the scheme and the auth challenge. Returns the status (200/401)."""
        with self._ping_lock:
            return self._ping_locked()

    def _ping_locked(self) -> int:
        schemes = ["https", "http"] if self.plain_allowed else ["https"]
        first: ScowError | None = None
        for scheme in schemes:
            try:
                status = self._ping_once(f"{scheme}://{self.host}")
            except DeadlineExceeded:
                raise  # too slow, whatever the scheme: no time is left for another
            except RegistryUnavailable as exc:
                first = first or exc
                continue
            self._base = f"{scheme}://{self.host}"
            return status
        assert first is not None
        raise first

    def _ping_once(self, base: str) -> int:
        verb = f"ping {self.host}"
        with self.bounded(verb):
            resp = self._raw("GET", base + "/v2/", {"User-Agent": self.user_agent}, None,
                             verb=verb)
            discard(resp)
        if resp.status == 401:
            self.auth.set_challenge(resp.headers.get("WWW-Authenticate", ""))
            return 401
        if resp.status != 200:
            raise RegistryUnavailable(
                f"ping {self.host}: not a registry (GET /v2/ answered {resp.status})")
        return 200

    # -- requests -----------------------------------------------------------------------------
    def url(self, path: str) -> str:
        return path if "://" in path else self.base_url() + path

    def request(self, method: str, path: str, *, verb: str, scopes: Sequence[str] = (),
                headers: dict[str, str] | None = None, body: BodyFactory | None = None,
                redirects: int = 5) -> urllib3.BaseHTTPResponse:
        """Send a request with auth for `scopes`; retry once after a 401 that a new token or
        Basic credentials can answer; follow GET/HEAD redirects (credentials stay home)."""
        url = self.url(path)
        for attempt in range(2):
            resp = self._send(method, url, verb=verb, scopes=scopes, headers=headers or {},
                              body=body, redirects=redirects)
            if resp.status != 401 or attempt == 1:
                return resp
            challenge = resp.headers.get("WWW-Authenticate", "")
            if self.auth.scheme == "basic" or not self.auth.set_challenge(challenge):
                return resp  # Basic credentials were refused, or nothing we can answer
            discard(resp)
            self.auth.forget(scopes)
        raise AssertionError("unreachable")

    def _send(self, method: str, url: str, *, verb: str, scopes: Sequence[str],
              headers: dict[str, str], body: BodyFactory | None,
              redirects: int) -> urllib3.BaseHTTPResponse:
        hdrs = {"User-Agent": self.user_agent, **headers}
        if _same_origin(url, self.base_url()):
            auth = self.auth.header(scopes)
            if auth:
                hdrs["Authorization"] = auth
        for _ in range(redirects + 1):
            resp = self._raw(method, url, hdrs, body() if body else None, verb=verb)
            location = resp.headers.get("Location")
            if resp.status not in _REDIRECTS or method not in ("GET", "HEAD") or not location:
                return resp
            discard(resp)
            target = resolve_url(url, location, f"{verb}: redirect")
            if not _same_origin(target, url):
                hdrs.pop("Authorization", None)
            if urlsplit(target).scheme == "http" and urlsplit(url).scheme == "https" and \
                    not (self.plain_allowed and _same_origin(target, url, scheme=False)):
                raise RegistryUnavailable(f"{verb}: refused redirect from https to {target}")
            url = target
        raise RegistryUnavailable(f"{verb}: too many redirects")

    def _raw(self, method: str, url: str, headers: dict[str, str], body: Body, *,
             verb: str) -> urllib3.BaseHTTPResponse:
        try:
            return self._pool.request(method, url, headers=headers, body=body,
                                      preload_content=False, redirect=False, retries=False)
        except self._urllib3.exceptions.HTTPError as exc:
            raise RegistryUnavailable(f"{verb}: {failure_reason(exc)}") from exc

    def _get_token(self, url: str, headers: dict[str, str]) -> tuple[int, bytes]:
        verb = f"get token for {self.host}"
        url = resolve_url(self.base_url(), url, f"{verb}: realm")
        parts = urlsplit(url)
        if parts.scheme != "https" and not (self.plain_allowed or is_loopback(parts.netloc)):
            raise RegistryUnauthorized(f"{verb}: refused plain-http realm "
                                       f"{parts.scheme}://{parts.netloc}")
        if "Authorization" in headers and not realm_may_see_credentials(self.base_url(), url):
            raise RegistryUnauthorized(
                f"{verb}: refused to send the credentials of {self.host} to "
                f"{parts.scheme}://{parts.netloc} over plain http (the realm is another host "
                "or a downgrade from https; it must use https)")
        hdrs = {"User-Agent": self.user_agent, **headers}
        with self.bounded(verb):
            resp = self._raw("GET", url, hdrs, None, verb=verb)
            return resp.status, read_capped(resp, 1024 * 1024, verb)

    def fail(self, resp: urllib3.BaseHTTPResponse, verb: str, *,
             not_found: type[NotFound] = NotFound) -> ScowError:
        """The error for an unexpected answer; reads at most 64 KiB of its body."""
        body = read_capped(resp, _MAX_ERROR_BODY, verb)
        return status_error(verb, resp.status, body, not_found=not_found)


def read_capped(resp: urllib3.BaseHTTPResponse, cap: int, verb: str) -> bytes:
    """Up to `cap` + 1 bytes of a response body (so a caller can tell "too big"); the
    connection goes back to the pool only when the body was read to its end."""
    import urllib3

    try:
        data = resp.read(cap + 1, decode_content=True)
    except urllib3.exceptions.HTTPError as exc:
        discard(resp)
        raise RegistryUnavailable(f"{verb}: {failure_reason(exc)}") from exc
    discard(resp)
    return data


def discard(resp: urllib3.BaseHTTPResponse) -> None:
    """Let go of a response: drain a small rest, close the connection on a big one."""
    length = resp.headers.get("Content-Length", "")
    try:
        if length.isdigit() and int(length) <= _MAX_ERROR_BODY:
            resp.drain_conn()
        elif not resp.closed and resp.tell() < int(length or -1):
            resp.close()
    except Exception:  # noqa: BLE001 - a broken connection is simply not reused
        resp.close()
    resp.release_conn()


def resolve_url(base: str, ref: str, what: str) -> str:
    """`ref` (a realm, a `Location`, a `Link`) resolved against `base`: an http(s) URL with a
    host and a valid port and no spaces or control characters, else one line naming it."""
    bad = RegistryUnavailable(f"{what}: not a valid http(s) URL: {ref[:200]!r}")
    if any(ord(c) <= 32 or ord(c) == 127 for c in ref):
        raise bad
    try:
        url = urljoin(base, ref)
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError as exc:
        raise bad from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise bad
    return url


def realm_may_see_credentials(base: str, realm: str) -> bool:
    """A registry's credentials go to its token realm over https, or over plain http only to
    the registry's own host and port when the registry itself is plain http: never to another
    host in clear text, never downgraded from an https registry (docker sends them anywhere)."""
    scheme = urlsplit(realm).scheme
    if scheme == "https":
        return True
    return scheme == "http" and urlsplit(base).scheme == "http" and \
        _same_origin(realm, base, scheme=False)


def _same_origin(a: str, b: str, *, scheme: bool = True) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    default = {"https": 443, "http": 80}
    same_host = (pa.hostname, pa.port or default.get(pa.scheme)) == \
        (pb.hostname, pb.port or default.get(pb.scheme))
    return same_host and (not scheme or pa.scheme == pb.scheme)

