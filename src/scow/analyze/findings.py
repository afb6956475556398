"""owns: the findings beyond dive, each with one line of advice: files rewritten whole for a
metadata change (the copy-up an image pays at build time), files a later layer deletes,
package-manager caches shipped in the image, files rewritten by several RUN steps, logs and
databases a container will copy up whole on its first write, and build tools left in the final
image.

Findings are about the layers an image's own Dockerfile made: the first layer (the base
distribution) is only a source of lower files, never blamed.
"""

from __future__ import annotations

import fnmatch
from collections import defaultdict
from collections.abc import Sequence
from typing import NamedTuple

from scow.analyze.entries import Entry
from scow.analyze.layers import Stack

# a log or database in an image layer at least this big is reported: a container writing it
# first copies the whole file into its own layer
CONTAINER_WRITE_MIN = 1 << 20

CACHES: tuple[tuple[str, str, str], ...] = (
    ("var/lib/apt/lists/*", "apt", "rm -rf /var/lib/apt/lists/*"),
    ("var/cache/apt/*", "apt", "apt-get clean"),
    ("root/.cache/pip/*", "pip", "pip install --no-cache-dir"),
    ("var/cache/apk/*", "apk", "apk add --no-cache"),
    ("root/.npm/_cacache/*", "npm", "npm cache clean --force"),
    ("var/cache/yum/*", "yum", "yum clean all"),
    ("var/cache/dnf/*", "dnf", "dnf clean all"),
)
CACHE_MOUNTS = {"apt": "/var/cache/apt", "pip": "/root/.cache/pip", "apk": "/var/cache/apk",
                "npm": "/root/.npm", "yum": "/var/cache/yum", "dnf": "/var/cache/dnf"}
WRITABLE = ("var/log/*", "*.log", "*.db", "*.sqlite", "*.sqlite3", "var/lib/mysql/*",
            "var/lib/postgresql/*", "var/lib/redis/*", "var/lib/mongodb/*")
BUILD_TOOLS = ("usr/bin/gcc*", "usr/bin/g++*", "usr/bin/cc", "usr/bin/make", "usr/bin/clang*",
               "usr/local/go/bin/go", "usr/bin/rustc", "usr/local/cargo/bin/rustc")


class Finding(NamedTuple):
    kind: str  # metadata-rewrite, deleted-later, cache, rewritten, container-write, build-tools
    layer: int  # the layer that causes it
    files: int
    size: int  # the bytes it costs
    message: str
    advice: str
    paths: tuple[str, ...] = ()  # a few examples, largest first


def find(layers: Sequence[Sequence[Entry]], stack: Stack, created_by: Sequence[str]
         ) -> list[Finding]:
    out = _metadata_rewrites(stack) + _deleted_later(stack) + _rewritten(stack, created_by)
    out += _caches(stack) + _container_writes(stack) + _build_tools(stack)
    return sorted(out, key=lambda f: (f.layer, f.kind))


def _group(items: list[tuple[int, Entry]]) -> dict[int, list[Entry]]:
    grouped: dict[int, list[Entry]] = defaultdict(list)
    for layer, entry in items:
        grouped[layer].append(entry)
    return grouped


def _examples(entries: Sequence[Entry]) -> tuple[str, ...]:
    return tuple("/" + e.path for e in sorted(entries, key=lambda e: -e.size)[:5])


def _metadata_rewrites(stack: Stack) -> list[Finding]:
    items: list[tuple[int, Entry]] = []
    owners: set[int] = set()
    for layer, entry, _lower, old in stack.overwrites:
        if (entry.is_regular and old.is_regular and entry.size == old.size and entry.size
                and entry.crc == old.crc and (entry.mode, entry.uid, entry.gid)
                != (old.mode, old.uid, old.gid)):
            items.append((layer, entry))
            if (entry.uid, entry.gid) != (old.uid, old.gid):
                owners.add(layer)
    out = []
    for layer, entries in _group(items).items():
        what, flag = ("chown", "--chown") if layer in owners else ("chmod", "--chmod")
        out.append(Finding(
            "metadata-rewrite", layer, len(entries), sum(e.size for e in entries),
            f"{_files(entries)} of lower layers copied up whole for a {what} only",
            f"{what} at COPY time with `COPY {flag}`, or in the RUN that creates the files",
            _examples(entries)))
    return out


def _deleted_later(stack: Stack) -> list[Finding]:
    items = [(layer, e) for layer, lower, e in stack.deletions if lower > 0 and e.size]
    out = []
    for layer, entries in _group(items).items():
        kinds = {_cache_kind(e.path) for e in entries} - {None}
        advice = (_cache_advice(sorted(k for k in kinds if k)[0]) if kinds else
                  "delete files in the same RUN that creates them, or build them in another "
                  "stage of a multi-stage build and COPY --from only the result")
        out.append(Finding("deleted-later", layer, len(entries), sum(e.size for e in entries),
                           f"{_files(entries)} deleted here still ship in a lower layer",
                           advice, _examples(entries)))
    return out


def _rewritten(stack: Stack, created_by: Sequence[str]) -> list[Finding]:
    pairs: dict[tuple[int, int], list[Entry]] = defaultdict(list)
    for layer, entry, lower, old in stack.overwrites:
        if lower > 0 and entry.is_regular and old.is_regular and old.size and entry.crc != old.crc:
            pairs[(lower, layer)].append(old)
    out = []
    for (lower, layer), entries in pairs.items():
        first = _step(created_by, lower)
        out.append(Finding("rewritten", layer, len(entries), sum(e.size for e in entries),
                           f"{_files(entries)} written by layer {lower} rewritten here",
                           f"merge these RUN steps (layer {lower}: {first})",
                           _examples(entries)))
    return out


def _caches(stack: Stack) -> list[Finding]:
    by_kind: dict[tuple[int, str], list[Entry]] = defaultdict(list)
    for path, (layer, entry) in stack.files.items():
        kind = _cache_kind(path)
        if layer > 0 and kind and entry.is_regular and entry.size:
            by_kind[(layer, kind)].append(entry)
    return [Finding("cache", layer, len(es), sum(e.size for e in es),
                    f"{_files(es)} of the {kind} cache ship in the image",
                    _cache_advice(kind), _examples(es))
            for (layer, kind), es in by_kind.items()]


def _container_writes(stack: Stack) -> list[Finding]:
    items = [(layer, e) for path, (layer, e) in stack.files.items()
             if layer > 0 and e.is_regular and e.size >= CONTAINER_WRITE_MIN
             and any(fnmatch.fnmatchcase(path, pat) for pat in WRITABLE)]
    out = []
    for layer, entries in _group(items).items():
        out.append(Finding(
            "container-write", layer, len(entries), sum(e.size for e in entries),
            f"{_files(entries)} of logs or databases in an image layer: a container writing "
            "one copies the whole file up first",
            "create them at run time, or keep their folder on a volume (VOLUME)",
            _examples(entries)))
    return out


def _build_tools(stack: Stack) -> list[Finding]:
    items = [(layer, e) for path, (layer, e) in stack.files.items()
             if layer > 0 and not e.is_dir
             and any(fnmatch.fnmatchcase(path, pat) for pat in BUILD_TOOLS)]
    return [Finding("build-tools", layer, len(es), sum(e.size for e in es),
                    f"{_files(es)} of compilers or build tools ship in the final image",
                    "move this to a multi-stage build: build in one stage, COPY --from the "
                    "result into a slim one", _examples(es))
            for layer, es in _group(items).items()]


def _files(entries: Sequence[Entry]) -> str:
    return "1 file" if len(entries) == 1 else f"{len(entries)} files"


def _cache_kind(path: str) -> str | None:
    return next((kind for pat, kind, _fix in CACHES if fnmatch.fnmatchcase(path, pat)), None)


def _cache_advice(kind: str) -> str:
    fix = next(f for _p, k, f in CACHES if k == kind)
    return (f"clean the {kind} cache in the same RUN (`{fix}`) or use a cache mount "
            f"(`RUN --mount=type=cache,target={CACHE_MOUNTS[kind]}`)")


def _step(created_by: Sequence[str], layer: int) -> str:
    text = created_by[layer] if layer < len(created_by) else ""
    text = text.removeprefix("/bin/sh -c ").strip()
    return text if len(text) <= 60 else text[:57] + "..."
