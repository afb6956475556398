"""An in-memory BuildEngine for the builder's tests: layers are file trees (path → node,
``None`` = deleted), a rootfs is the merge of a chain of layers, RUN understands a tiny shell
(``echo``, ``echo x > f``, ``mkdir -p``, ``chmod +x``, ``rm -r``, ``exit N`` joined by ``&&``)."""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from scow.build.ports import CopySpec, ImageView, RunResult, RunSpec
from scow.errors import ImageNotFound, Unavailable
from scow.ids import ChainID, DiffID, ImageID, chain_id, digest_of


@dataclass(frozen=True)
class Node:
    kind: str  # file | dir | symlink
    data: bytes = b""
    mode: int = 0o644
    uid: int = 0
    gid: int = 0


Tree = dict[str, Node | None]


class FakeEngine:
    def __init__(self) -> None:
        self.layers: dict[DiffID, Tree] = {}
        self.chains: dict[ChainID, list[DiffID]] = {}
        self.images: dict[str, ImageView] = {}
        self.configs: dict[ImageID, bytes] = {}
        self.cache: dict[str, DiffID] = {}
        self.parses: dict[str, bytes] = {}  # parsed Dockerfiles (build/parsecache.py)
        self.tags: dict[str, ImageID] = {}
        self.runs: list[RunSpec] = []
        self.lock = threading.Lock()
        self.stopped_steps = False  # stop_steps was called (a parallel stage failed)

    # -- helpers for tests ---------------------------------------------------------------
    def add_layer(self, tree: Tree) -> DiffID:
        blob = json.dumps({k: None if v is None else [v.kind, v.data.hex(), v.mode, v.uid, v.gid]
                           for k, v in sorted(tree.items())}).encode()
        diff = DiffID(digest_of(blob))
        with self.lock:
            self.layers[diff] = dict(tree)
        return diff

    def register(self, parent: ChainID | None, diff: DiffID) -> None:
        base = self.chains[parent] if parent else []
        self.chains[chain_id([*base, diff])] = [*base, diff]

    def add_image(self, ref: str, tree: Tree, config: dict[str, object] | None = None) -> None:
        diff = self.add_layer(tree)
        self.register(None, diff)
        cfg = {"architecture": "amd64", "os": "linux", "config": config or {},
               "rootfs": {"type": "layers", "diff_ids": [diff]},
               "history": [{"created_by": "/bin/sh -c #(nop) ADD file:abc in / "}]}
        blob = json.dumps(cfg).encode()
        self.images[ref] = ImageView(ImageID(digest_of(blob)), cfg)

    def rootfs(self, chain: ChainID | None) -> dict[str, Node]:
        merged: dict[str, Node] = {}
        for diff in self.chains[chain] if chain else []:
            for path, node in self.layers[diff].items():
                if node is None:
                    for p in [p for p in merged if p == path or p.startswith(path + "/")]:
                        del merged[p]
                else:
                    merged[path] = node
        return merged

    def image_rootfs(self, image_id: ImageID) -> dict[str, Node]:
        config = json.loads(self.configs[image_id])
        return self.rootfs(chain_id(config["rootfs"]["diff_ids"]))

    # -- the BuildEngine protocol ------------------------------------------------------------
    def get_image(self, ref: str) -> ImageView:
        if ref not in self.images:
            raise ImageNotFound(f"pull access denied for {ref}: image not found")
        return self.images[ref]

    def run_step(self, parent: ChainID | None, spec: RunSpec,
                 output: Callable[[bytes], None]) -> RunResult:
        self.runs.append(spec)
        fs = self.rootfs(parent)
        if spec.argv[-1] and not any(p == "bin/sh" for p in fs) and spec.argv[0] == "/bin/sh":
            return RunResult(127, None)
        changes: Tree = {}
        for command in spec.argv[-1].split("&&"):
            code = self._shell(shlex.split(command), fs, changes, spec, output)
            if code:
                return RunResult(code, None)
        diff = self.add_layer(changes)
        self.register(parent, diff)
        return RunResult(0, diff)

    def _shell(self, words: list[str], fs: dict[str, Node], changes: Tree, spec: RunSpec,
               output: Callable[[bytes], None]) -> int:
        def path(p: str) -> str:
            return os.path.normpath(os.path.join(spec.workdir, p)).lstrip("/")

        if words[:1] == ["exit"]:
            return int(words[1])
        if words[:1] == ["echo"] and ">" in words:
            i = words.index(">")
            changes[path(words[i + 1])] = Node("file", (" ".join(words[1:i]) + "\n").encode())
        elif words[:1] == ["echo"]:
            output((" ".join(words[1:]) + "\n").encode())
        elif words[:2] == ["mkdir", "-p"]:
            changes[path(words[2])] = Node("dir", mode=0o755)
        elif words[:2] == ["chmod", "+x"]:
            node = changes.get(path(words[2])) or fs[path(words[2])]
            changes[path(words[2])] = Node(node.kind, node.data, node.mode | 0o111, node.uid,
                                           node.gid)
        elif words[:2] == ["rm", "-r"]:
            changes[path(words[2])] = None
        elif words[:1] == ["env"]:
            output(("\n".join(spec.env) + "\n").encode())
        elif words[:1] != ["true"]:
            output(f"/bin/sh: {words[0]}: not found\n".encode())
            return 127
        return 0

    def copy_step(self, parent: ChainID | None, spec: CopySpec) -> DiffID:
        import tarfile

        fs = self.rootfs(parent)
        changes: Tree = {}
        uid, gid = (int(x) for x in (spec.chown or "0:0").split(":")) if spec.chown else (0, 0)
        into = spec.dest_is_dir or (fs.get(spec.dest.lstrip("/")) or Node("file")).kind == "dir"
        for entry in spec.entries:
            target = (f"{spec.dest}/{entry.rel}" if into else spec.dest).lstrip("/")
            if entry.extract:
                with tarfile.open(entry.src) as tar:
                    for member in tar.getmembers():
                        data = tar.extractfile(member).read() if member.isfile() else b""
                        kind = "dir" if member.isdir() else "file"
                        changes[f"{spec.dest.strip('/')}/{member.name}"] = Node(
                            kind, data, member.mode)
                continue
            st = os.lstat(entry.src)
            data = b""
            if entry.kind == "file":
                with open(entry.src, "rb") as f:
                    data = f.read()
            elif entry.kind == "symlink":
                data = os.readlink(entry.src).encode()
            mode = spec.chmod if spec.chmod is not None else st.st_mode & 0o7777
            changes[target] = Node(entry.kind, data, mode, uid, gid)
        diff = self.add_layer(changes)
        self.register(parent, diff)
        return diff

    def mkdir_step(self, parent: ChainID | None, path: str, user: str) -> DiffID:
        diff = self.add_layer({path.lstrip("/"): Node("dir", mode=0o755)})
        self.register(parent, diff)
        return diff

    @contextmanager
    def open_rootfs(self, chain: ChainID | None) -> Iterator[str]:
        with tempfile.TemporaryDirectory() as tmp:
            for rel, node in sorted(self.rootfs(chain).items()):
                full = os.path.join(tmp, rel)
                os.makedirs(os.path.dirname(full), exist_ok=True)
                if node.kind == "dir":
                    os.makedirs(full, exist_ok=True)
                elif node.kind == "symlink":
                    os.symlink(node.data.decode(), full)
                else:
                    with open(full, "wb") as f:
                        f.write(node.data)
                    os.chmod(full, node.mode)
            yield tmp

    def download(self, url: str, dest_dir: str) -> str:
        raise Unavailable(f"download {url}: network is unreachable")

    def cache_lookup(self, key: str) -> DiffID | None:
        return self.cache.get(key)

    def cache_store(self, key: str, diff_id: DiffID) -> None:
        self.cache[key] = diff_id

    def cached_parse(self, key: str) -> bytes | None:
        return self.parses.get(key)

    def keep_parse(self, key: str, data: bytes) -> None:
        self.parses[key] = data

    def commit_image(self, config: bytes) -> ImageID:
        diffs = json.loads(config)["rootfs"]["diff_ids"]
        if diffs:
            assert chain_id(diffs) in self.chains, "image names a layer chain never made"
        image_id = ImageID("sha256:" + hashlib.sha256(config).hexdigest())
        self.configs[image_id] = config
        return image_id

    def tag(self, image_id: ImageID, ref: str) -> None:
        self.tags[ref] = image_id

    def stop_steps(self) -> None:
        self.stopped_steps = True
