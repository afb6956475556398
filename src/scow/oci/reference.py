"""owns: image references as docker parses and normalizes them (distribution/reference):
``[domain/]path[:tag][@digest]``, ``docker.io`` and ``library/`` implied, ``latest`` as the
default tag, and the familiar form docker prints (``busybox:latest``).
"""

from __future__ import annotations

from scow.errors import InvalidReference
from scow.ids import is_hex64

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import NamedTuple
else:
    from scow.typeshim import NamedTuple

DEFAULT_DOMAIN = "docker.io"
LEGACY_DOMAIN = "index.docker.io"
OFFICIAL_PREFIX = "library/"
DEFAULT_TAG = "latest"
NAME_MAX = 255

_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*"
_DOMAIN_LABEL = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_LABEL}(?:\.{_DOMAIN_LABEL})*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?"
_TAG = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"  # ASCII only, as docker
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
# compiled on first use (re's cache), not at import: 1.2 ms that `ps` and `images` never need
_REFERENCE = (rf"^(?P<name>(?:{_DOMAIN}/)?{_COMPONENT}(?:/{_COMPONENT})*)"
              rf"(?::(?P<tag>{_TAG}))?(?:@(?P<digest>{_DIGEST}))?\Z")
_ANY_CASE_NAME = (
    rf"^(?:{_DOMAIN}/)?[a-zA-Z0-9]+(?:(?:[._]|__|[-]+)[a-zA-Z0-9]+)*"
    rf"(?:/[a-zA-Z0-9]+(?:(?:[._]|__|[-]+)[a-zA-Z0-9]+)*)*(?::{_TAG})?(?:@{_DIGEST})?\Z")


_LOWER_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
_ALNUM = _LOWER_ALNUM | frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_LABEL_CHARS = _ALNUM | frozenset("-")
_TAG_CHARS = _ALNUM | frozenset("_.-")
_HEXDIGITS = frozenset("0123456789abcdefABCDEF")


class Reference(NamedTuple):
    domain: str
    path: str
    tag: str | None = None
    digest: str | None = None

    @property
    def name(self) -> str:
        """Fully qualified repository: ``docker.io/library/busybox``."""
        return f"{self.domain}/{self.path}"

    @property
    def familiar_name(self) -> str:
        """Repository as docker prints it: ``busybox``, ``acme/app``, ``localhost:5000/x``."""
        if self.domain == DEFAULT_DOMAIN:
            return self.path.removeprefix(OFFICIAL_PREFIX)
        return self.name

    def with_tag(self, tag: str) -> Reference:
        return Reference(self.domain, self.path, tag, None)

    def with_digest(self, digest: str) -> Reference:
        return Reference(self.domain, self.path, None, digest)

    def __str__(self) -> str:
        return self.name + self._suffix()

    def familiar(self) -> str:
        return self.familiar_name + self._suffix()

    def _suffix(self) -> str:
        out = f":{self.tag}" if self.tag else ""
        return out + (f"@{self.digest}" if self.digest else "")


def _split_domain(name: str) -> tuple[str, str]:
    first, sep, rest = name.partition("/")
    if not sep or ("." not in first and ":" not in first and first != "localhost"
                   and first.lower() == first):
        domain, path = DEFAULT_DOMAIN, name
    else:
        domain, path = first, rest
    if domain == LEGACY_DOMAIN:
        domain = DEFAULT_DOMAIN
    if domain == DEFAULT_DOMAIN and "/" not in path:
        path = OFFICIAL_PREFIX + path
    return domain, path


def parse_reference(text: str, *, default_tag: bool = True) -> Reference:
    """Parse and normalize a reference; adds ``latest`` when it has neither tag nor digest."""
    if not text or is_hex64(text):
        if text:
            raise InvalidReference(
                f"invalid repository name ({text}), cannot specify 64-byte hexadecimal strings")
        raise InvalidReference("invalid reference format")
    name, tag, digest = _split(text) or _match(text)
    if len(name) > NAME_MAX:
        raise InvalidReference(f"invalid reference format: repository name must not be "
                               f"more than {NAME_MAX} characters")
    domain, path = _split_domain(name)
    if path.lower() != path:
        raise InvalidReference(
            f"invalid reference format: repository name ({path}) must be lowercase")
    if default_tag and tag is None and digest is None:
        tag = DEFAULT_TAG
    return Reference(domain, path, tag, digest)


def _match(text: str) -> tuple[str, str | None, str | None]:
    """(name, tag, digest) of `text` by docker's regular expression, or the error."""
    import re  # here: `re` costs start-up, and _split takes the common forms

    match = re.match(_REFERENCE, text, re.ASCII)
    if match is None:
        if re.match(_ANY_CASE_NAME, text, re.ASCII):
            repo = text.split("@", 1)[0].rsplit(":", 1)[0] if "@" in text or _has_tag(text) \
                else text
            raise InvalidReference(
                f"invalid reference format: repository name ({repo}) must be lowercase")
        raise InvalidReference(f"invalid reference format: {text!r}")
    return match.group("name"), match.group("tag"), match.group("digest")


def _split(text: str) -> tuple[str, str | None, str | None] | None:
    """(name, tag, digest) of `text` when it is plainly valid (what _match would return),
    found by string operations; None for anything else (bracketed domains, digests other
    than sha256, errors), which _match decides."""
    rest, at, digest = text.partition("@")
    if at and not (digest.startswith("sha256:") and len(digest) >= 39
                   and _HEXDIGITS.issuperset(digest[7:])):
        return None
    cut = rest.rfind(":")
    name, tag = (rest[:cut], rest[cut + 1:]) if cut > rest.rfind("/") else (rest, None)
    if tag is not None and not (0 < len(tag) <= 128 and tag[0] not in ".-"
                                and _TAG_CHARS.issuperset(tag)):
        return None
    first, *others = name.split("/")
    if not all(map(_is_component, others)):
        return None
    if not _is_component(first) and not (others and _is_domain(first)):
        return None
    return name, tag, digest if at else None


def _is_component(s: str) -> bool:
    """`s` matches [a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*."""
    if not s or s[0] not in _LOWER_ALNUM or s[-1] not in _LOWER_ALNUM:
        return False
    run = ""
    for c in s:
        if c in _LOWER_ALNUM:
            if run and run not in (".", "_", "__") and run.strip("-"):
                return False
            run = ""
        elif c in "._-":
            run += c
        else:
            return False
    return True


def _is_domain(s: str) -> bool:
    """`s` is host labels joined by dots, with an optional :port (no [IPv6] form here)."""
    host, colon, port = s.partition(":")
    if colon and not (port.isascii() and port.isdigit()):
        return False
    return all(label and label[0] in _ALNUM and label[-1] in _ALNUM
               and _LABEL_CHARS.issuperset(label) for label in host.split("."))


def _has_tag(text: str) -> bool:
    last = text.rsplit("/", 1)[-1]
    return ":" in last


def parse_repository(text: str) -> Reference:
    """A repository name without tag or digest (for `images REPO`, `push` checks)."""
    ref = parse_reference(text, default_tag=False)
    return Reference(ref.domain, ref.path)


def valid_tag(tag: str) -> bool:
    import re

    return re.match(rf"^{_TAG}\Z", tag, re.ASCII) is not None
