"""owns: telling a git source of ``ADD`` from a URL or a path, as BuildKit's
``gitutil.ParseGitRef`` does, and splitting its ``#ref:subdir`` fragment.

A git source is ``git@host:path``, a ``git://`` or ``ssh://`` URL, or an ``http(s)://`` URL
whose path ends in ``.git``; other ``http(s)`` URLs are files to download. BuildKit accepts no
``file://`` git URL, and neither does scow. ``#ref`` names a branch, tag or commit (default:
the remote's HEAD), ``#ref:subdir`` copies only that folder of the checkout.
"""

from __future__ import annotations

import re

from scow.errors import InvalidArgument

TYPE_CHECKING = False  # mypy honours the name; dataclasses costs start-up (typeshim.py)
if TYPE_CHECKING:
    from dataclasses import dataclass
else:
    from scow.typeshim import dataclass

_SCHEME_RE = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*)://")


@dataclass(frozen=True)
class GitRef:
    remote: str  # what git fetches (no fragment)
    ref: str | None  # branch, tag or commit; None: the remote's HEAD
    subdir: str  # "" for the whole checkout


def parse_git_ref(src: str) -> GitRef | None:
    """The git source `src` names, or None when it is not one."""
    remote, _, fragment = src.partition("#")
    m = _SCHEME_RE.match(remote)
    scheme = m.group(1).lower() if m else None
    if scheme in ("http", "https"):
        path = remote[m.end():].split("?", 1)[0] if m else ""
        if not path.rstrip("/").endswith(".git"):
            return None
    elif scheme not in ("git", "ssh") and not (scheme is None and remote.startswith("git@")):
        return None
    ref, _, subdir = fragment.partition(":")
    if ref.startswith("-") or any(c.isspace() or c in "~^:?*[\\" for c in ref):
        raise InvalidArgument(f"invalid git ref {ref!r} in {src}")
    return GitRef(remote, ref or None, subdir.strip("/"))
