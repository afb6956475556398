"""owns: the build context: a folder, or a tar (file or stdin) unpacked into a private temp
folder; its ``.dockerignore``; resolving COPY/ADD sources inside it safely; their checksums.

Safety: a source is resolved component by component under the context root; ``..`` above the
root, an absolute path that is not under the root, or a symlink whose target leads out of the
root is refused (``strict``). For a stage's or image's rootfs (``COPY --from``), absolute
symlinks and ``..`` are scoped to that root instead, as a chroot would.

Checksums follow docker's classic builder (``tarsum`` v1): per entry
``sha256(name mode uid gid size typeflag linkname uname gname devmajor devminor [xattrs] ||
content)`` with the name relative to the root and mtime excluded; a directory source is
``dir:`` + sha256 of its sorted entry hashes joined by ``,``; a file ``file:<hex>``; several
sources ``multi:`` + sha256 of their sums joined by ``,``.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator

from scow.build import e2bparts
from scow.build.instructions import MAX_DOCKERFILE_SIZE
from scow.errors import Forbidden, InvalidArgument, NotFound
from scow.ids import sha256_for, sha256_hex

TYPE_CHECKING = False  # mypy honours the name; dataclasses costs start-up (typeshim.py)
if TYPE_CHECKING:
    import tempfile
    from dataclasses import dataclass
    from typing import IO, Any
else:
    from scow.typeshim import dataclass

_MAX_LINKS = 40


class OutsideContext(Forbidden):
    """A source path or symlink that leads outside the build context."""


@dataclass(frozen=True)
class Entry:
    """One thing to copy: ``abs`` on this machine, ``rel`` under the destination."""

    abs: str
    rel: str
    kind: str  # "file" | "dir" | "symlink" | "other"


class SourceRoot:
    """A folder files are copied from: the context, or a mounted stage/image rootfs."""

    def __init__(self, root: str, *, strict: bool = True, ignore: Any = None) -> None:
        self.root = os.path.realpath(root)
        self.strict = strict
        self.ignore = ignore  # an e2b PatternMatcher or None

    # -- paths -------------------------------------------------------------------------------
    def resolve(self, rel: str, *, follow: bool = True) -> str:
        """The real path of `rel` under the root, following symlinks inside it."""
        if self.strict and _climbs(rel.lstrip("/")):
            raise OutsideContext(f"forbidden path outside the build context: {rel}")
        parts = [p for p in rel.split("/") if p not in ("", ".")]
        done: list[str] = []
        links = 0
        while parts:
            part = parts.pop(0)
            if part == "..":
                if not done:
                    if self.strict:
                        raise OutsideContext(f"forbidden path outside the build context: {rel}")
                    continue
                done.pop()
                continue
            path = os.path.join(self.root, *done, part)
            if (parts or follow) and os.path.islink(path):
                links += 1
                if links > _MAX_LINKS:
                    raise InvalidArgument(f"resolve {rel}: too many levels of symbolic links")
                target = os.readlink(path)
                if target.startswith("/"):
                    if self.strict:
                        raise OutsideContext(f"forbidden path outside the build context: {rel} "
                                             f"(symlink to {target})")
                    done = []
                parts = [p for p in target.split("/") if p not in ("", ".")] + parts
                continue
            done.append(part)
        return os.path.join(self.root, *done)

    def relpath(self, abs_path: str) -> str:
        return os.path.relpath(abs_path, self.root).replace(os.sep, "/")

    def excluded(self, rel: str) -> bool:
        return bool(self.ignore is not None and rel not in ("", ".") and self.ignore.matches(rel))

    def _visible(self, rel: str) -> bool:
        """Not ignored, or an ignored folder a ``!`` pattern may re-include files under."""
        if not self.excluded(rel):
            return True
        return os.path.isdir(os.path.join(self.root, rel)) and self.ignore.may_match_under(rel)

    # -- sources -----------------------------------------------------------------------------
    def expand(self, pattern: str) -> list[tuple[str, str]]:
        """``(name, real)`` pairs matching a COPY source (Go filepath.Match wildcards): the
        path as named (its basename names the copy) and its real path, both root-relative."""
        clean = pattern.lstrip("/")
        if not has_wildcards(clean):
            real = self.relpath(self.resolve(clean))
            if not os.path.lexists(os.path.join(self.root, real)) or not self._visible(real):
                raise NotFound(f'"/{clean.strip("/")}": not found')
            return [(clean.rstrip("/") or ".", real)]
        return [(rel, self.relpath(self.resolve(rel, follow=False)))
                for rel in sorted(self._glob([p for p in clean.split("/") if p not in ("", ".")]))]

    def _glob(self, parts: list[str]) -> Iterator[str]:
        found = [""]
        for part in parts:
            nxt: list[str] = []
            for base in found:
                real = self.resolve(base) if base else self.root
                if not has_wildcards(part):
                    names = [part] if os.path.lexists(os.path.join(real, part)) else []
                elif os.path.isdir(real):
                    names = [n for n in sorted(os.listdir(real)) if go_match(part, n)]
                else:
                    names = []
                for name in names:
                    rel = f"{base}/{name}" if base else name
                    if self._visible(rel):
                        nxt.append(rel)
            found = nxt
        yield from found

    def walk(self, real: str, name: str | None = None) -> list[Entry]:
        """Entries of a resolved source: a file itself (named `name`), or a folder's contents
        (minus ignored ones)."""
        top = os.path.join(self.root, real) if real not in ("", ".") else self.root
        st = os.lstat(top)
        if not stat.S_ISDIR(st.st_mode):
            return [Entry(top, os.path.basename(name or real), _kind(st.st_mode))]
        out: list[Entry] = []
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames.sort()
            for name in sorted(dirnames + filenames):
                path = os.path.join(dirpath, name)
                crel = self.relpath(path)
                if self.excluded(crel):
                    if name in dirnames and not self._visible(crel):
                        dirnames.remove(name)
                    continue
                out.append(Entry(path, os.path.relpath(path, top).replace(os.sep, "/"),
                                 _kind(os.lstat(path).st_mode)))
        return out

    def checksum(self, real: str, name: str | None = None) -> str:
        """``file:<hex>`` or ``dir:<hex>`` of a resolved source (mtime excluded)."""
        rel = name or real
        top = os.path.join(self.root, real) if real not in ("", ".") else self.root
        if not os.path.isdir(top) or os.path.islink(top):
            return "file:" + entry_hash(top, rel)
        hashes = [entry_hash(top, rel.rstrip("/") + "/")]
        links: dict[tuple[int, int], str] = {}  # hard links are copied as links: in the sum
        for entry in self.walk(real):
            name = self.relpath(entry.abs) + ("/" if entry.kind == "dir" else "")
            hashes.append(entry_hash(entry.abs, name))
            st = os.lstat(entry.abs)
            if entry.kind == "file" and st.st_nlink > 1:
                first = links.setdefault((st.st_dev, st.st_ino), name)
                if first != name:
                    hashes.append(sha256_hex(f"link {name} {first}".encode()))
        return "dir:" + sha256_hex(",".join(sorted(hashes)).encode())


def multi_checksum(sums: list[str]) -> str:
    """One sum for several sources (docker's ``multi:``); a single source keeps its own."""
    if len(sums) == 1:
        return sums[0]
    return "multi:" + sha256_hex(",".join(sums).encode())


def entry_hash(path: str, name: str) -> str:
    """tarsum v1 of one entry: its header fields (no mtime) then its content."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return sha256_hex(name.encode())
    kind = _kind(st.st_mode)
    link = os.readlink(path) if kind == "symlink" else ""
    size = st.st_size if kind == "file" else 0
    typeflag = {"file": "0", "symlink": "2", "dir": "5"}.get(kind, "0")
    dev = os.major(st.st_rdev), os.minor(st.st_rdev)
    fields = [("name", name), ("mode", str(st.st_mode & 0o7777)), ("uid", str(st.st_uid)),
              ("gid", str(st.st_gid)), ("size", str(size)), ("typeflag", typeflag),
              ("linkname", link), ("uname", ""), ("gname", ""),
              ("devmajor", str(dev[0] if kind == "other" else 0)),
              ("devminor", str(dev[1] if kind == "other" else 0))]
    h = sha256_for(size)  # no OpenSSL for small files
    h.update("".join(k + v for k, v in fields).encode("utf-8", "surrogateescape"))
    try:
        cap = os.getxattr(path, "security.capability", follow_symlinks=False)
        h.update(b"xattrsecurity.capability" + cap)
    except OSError:
        pass
    if kind == "file":
        with open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                h.update(chunk)
    return h.hexdigest()


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "dir"
    if stat.S_ISLNK(mode):
        return "symlink"
    if stat.S_ISREG(mode):
        return "file"
    return "other"


def _climbs(rel: str) -> bool:
    depth = 0
    for part in rel.split("/"):
        if part == "..":
            depth -= 1
            if depth < 0:
                return True
        elif part not in ("", "."):
            depth += 1
    return False


# -- Go filepath.Match ---------------------------------------------------------------------------
def has_wildcards(path: str) -> bool:
    return any(c in path for c in "*?[\\")


def go_match(pattern: str, name: str) -> bool:
    """Go's filepath.Match for one path component (``*``, ``?``, ``[a-z]``, ``[^x]``, ``\\``)."""
    return re.fullmatch(_go_regex(pattern), name, re.DOTALL) is not None


def _go_regex(pattern: str) -> str:
    out, i, n = "", 0, len(pattern)
    while i < n:
        c = pattern[i]
        i += 1
        if c == "*":
            out += "[^/]*"
        elif c == "?":
            out += "[^/]"
        elif c == "\\" and i < n:
            out += re.escape(pattern[i])
            i += 1
        elif c == "[":
            j = pattern.find("]", i + 1 if i < n and pattern[i] in "^!" else i)
            if j < 0:
                raise InvalidArgument(f"syntax error in pattern {pattern!r}")
            body = pattern[i:j]
            if body.startswith("^") or body.startswith("!"):
                body = "^" + body[1:]
            out += "[" + body.replace("\\", "\\\\") + "]"
            i = j + 1
        else:
            out += re.escape(c)
    return out


# -- the context itself ---------------------------------------------------------------------
class BuildContext:
    """A build context folder and its ignore rules; close() removes an unpacked tar."""

    def __init__(self, root: str, ignore_patterns: list[str] | None = None,
                 owned_tmp: tempfile.TemporaryDirectory[str] | None = None) -> None:
        try:  # the matcher's module only when there are patterns
            matcher = e2bparts.pattern_matcher()(ignore_patterns) if ignore_patterns else None
        except ValueError as exc:
            raise InvalidArgument(f"read .dockerignore: {exc}") from None
        self.source = SourceRoot(root, strict=True, ignore=matcher)
        self.root = self.source.root
        self._tmp = owned_tmp

    @classmethod
    def from_dir(cls, path: str, dockerfile: str | None = None) -> BuildContext:
        """A folder context, ignore rules from ``<Dockerfile>.dockerignore`` else
        ``.dockerignore``."""
        if not os.path.isdir(path):
            raise NotFound(f"unable to prepare context: path {path!r} not found")
        return cls(path, read_ignore_file(path, dockerfile))

    @classmethod
    def from_tar(cls, stream: IO[bytes], dockerfile: str | None = None) -> BuildContext:
        """A context sent as a tar (``-`` or a file), unpacked privately and safely."""
        import tarfile
        import tempfile  # random, shutil, weakref: a folder context needs none

        tmp = tempfile.TemporaryDirectory(prefix="scow-context-")
        try:
            with tarfile.open(fileobj=stream, mode="r|*") as tar:
                tar.extractall(tmp.name, filter="data")
        except (tarfile.TarError, OSError) as exc:
            tmp.cleanup()
            raise InvalidArgument(f"read build context: {exc}") from None
        return cls(tmp.name, read_ignore_file(tmp.name, dockerfile), tmp)

    def read_dockerfile(self, name: str = "Dockerfile") -> bytes:
        path = name if os.path.isabs(name) else os.path.join(self.root, name)
        try:
            with open(path, "rb") as f:
                data = f.read(MAX_DOCKERFILE_SIZE + 1)
        except FileNotFoundError:
            raise NotFound(f"read dockerfile: open {name}: no such file or directory") from None
        except OSError as exc:
            raise InvalidArgument(f"read dockerfile: open {name}: "
                                  f"{(exc.strerror or str(exc)).lower()}") from None
        if len(data) > MAX_DOCKERFILE_SIZE:
            raise InvalidArgument(f"read dockerfile: {name} is over the {MAX_DOCKERFILE_SIZE} "
                                  "byte limit")
        return data

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> BuildContext:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_ignore_file(root: str, dockerfile: str | None) -> list[str]:
    """The ignore patterns: ``<Dockerfile>.dockerignore`` first, then ``<root>/.dockerignore``."""
    candidates = []
    if dockerfile and dockerfile != "-":
        df = dockerfile if os.path.isabs(dockerfile) else os.path.join(root, dockerfile)
        candidates.append(df + ".dockerignore")
    candidates.append(os.path.join(root, ".dockerignore"))
    for path in candidates:
        try:
            with open(path, encoding="utf-8") as f:
                return f.read().splitlines()
        except FileNotFoundError:
            continue
    return []
