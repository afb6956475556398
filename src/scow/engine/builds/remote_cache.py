"""owns: ``build --cache-from`` / ``--cache-to``: the build cache as BuildKit's cache
manifest, written to and read from an OCI layout folder (``type=local``) or an image's config
(``type=inline``, read back by ``type=registry,ref=`` and plain ``--cache-from IMAGE``).

The cache config is BuildKit's ``application/vnd.buildkit.cacheconfig.v0``::

    {"layers":  [{"blob": "sha256:<gzip digest>", "parent": <index or -1>,
                  "annotations": {"containerd.io/uncompressed": "<DiffID>", ...}}],
     "records": [{"digest": "<scow cache key>", "layers": [{"layer": <index>}],
                  "inputs": [[{"link": <record index>}]]}]}

``type=local,dest=DIR`` writes an OCI layout as BuildKit's: ``DIR/index.json`` names (tag
``latest``) an image index whose ``manifests`` are the layer blobs (gzip) and the cache
config, all in ``DIR/blobs/sha256/``. ``type=inline`` puts the config, base64, in the image
config's ``moby.buildkit.cache.v0`` with blobs named by DiffID (the image's own layers; scow
compresses only when it pushes). A record's digest is scow's step key (build/dispatch.py), not
BuildKit's, so the records are scow's to reuse; BuildKit reads the format but finds no hit.

Import is lazy: a key missing from the local cache is looked up in the imported records; its
layer chain is taken from the store when it has it, else registered from the layout's blobs,
and a build cache row then holds it (store/build_cache.py).
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, BinaryIO

from scow.errors import InvalidArgument
from scow.ids import ChainID, DiffID, chain_id

if TYPE_CHECKING:
    from dataclasses import dataclass, field
else:
    from scow.typeshim import dataclass, field

if TYPE_CHECKING:
    from scow.store.store import Store

CACHE_CONFIG = "application/vnd.buildkit.cacheconfig.v0"
INLINE_KEY = "moby.buildkit.cache.v0"
LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
INDEX = "application/vnd.oci.image.index.v1+json"
UNCOMPRESSED = "containerd.io/uncompressed"
Opener = Callable[[str], contextlib.AbstractContextManager[BinaryIO]]


@dataclass(frozen=True)
class CacheSpec:
    type: str  # local | registry | inline | image (a plain ``--cache-from IMAGE``)
    attrs: dict[str, str] = field(default_factory=dict)


def parse_spec(text: str, flag: str) -> CacheSpec:
    """``type=local,src=DIR`` / ``type=registry,ref=R`` / ``type=inline`` / a plain image."""
    if "=" not in text:
        if flag == "--cache-to":
            raise InvalidArgument(f"{flag} {text}: give type=local|registry|inline")
        return CacheSpec("image", {"ref": text})
    attrs: dict[str, str] = {}
    for part in text.split(","):
        key, sep, value = part.partition("=")
        if not sep:
            raise InvalidArgument(f"{flag} {text}: {part!r} is not key=value")
        attrs[key.strip()] = value.strip()
    kind = attrs.pop("type", "")
    need = {("--cache-from", "local"): "src", ("--cache-to", "local"): "dest",
            ("--cache-from", "registry"): "ref"}
    if kind not in ("local", "registry", "inline"):
        raise InvalidArgument(f"{flag} {text}: type must be local, registry or inline")
    if (flag, kind) == ("--cache-to", "registry") and not attrs.get("ref"):
        raise InvalidArgument(f"{flag} {text}: ref= is missing")
    if (flag, kind) == ("--cache-from", "inline"):
        raise InvalidArgument(f"{flag} type=inline: name the image with type=registry,ref=")
    if (flag, kind) in need and not attrs.get(need[flag, kind]):
        raise InvalidArgument(f"{flag} {text}: {need[flag, kind]}= is missing")
    if attrs.get("mode", "min") not in ("min", "max"):
        raise InvalidArgument(f"{flag} {text}: mode must be min or max")
    return CacheSpec(kind, attrs)


@dataclass
class Record:
    key: str
    parent: ChainID | None
    diff_id: DiffID
    chain: ChainID


def in_image(records: list[Record], diff_ids: list[str], mode: str) -> list[Record]:
    """mode=min: the records of the image's own layers; max: every record of the build."""
    if mode == "max":
        return records
    chains = {chain_id(diff_ids[:i + 1]) for i in range(len(diff_ids))}
    return [r for r in records if r.chain in chains]


def cache_config(records: list[Record], store: Store, blobs: dict[str, str]) -> dict[str, Any]:
    """The cacheconfig.v0 of `records`; `blobs`: DiffID → blob digest (DiffID when absent)."""
    layers: list[dict[str, Any]] = []
    index_of: dict[str, int] = {}
    for rec in records:
        for layer in store.layers.chain(rec.chain):
            if layer.chain_id in index_of:
                continue
            parent = index_of[layer.parent] if layer.parent else -1
            index_of[layer.chain_id] = len(layers)
            layers.append({"blob": blobs.get(layer.diff_id, layer.diff_id), "parent": parent,
                           "annotations": {UNCOMPRESSED: layer.diff_id,
                                           "mediaType": LAYER_GZIP}})
    out = [{"digest": rec.key, "layers": [{"layer": index_of[rec.chain]}]} for rec in records]
    return {"layers": layers, "records": out}


def inline_value(records: list[Record], store: Store) -> str:
    config = cache_config(records, store, {})
    return base64.b64encode(json.dumps(config, separators=(",", ":")).encode()).decode()


def write_local(dest: str, records: list[Record], store: Store) -> None:
    """``--cache-to type=local,dest=``: the OCI layout (see the module doc)."""
    blob_dir = os.path.join(dest, "blobs", "sha256")
    os.makedirs(blob_dir, exist_ok=True)
    descriptors: list[dict[str, Any]] = []
    blobs: dict[str, str] = {}
    for rec in records:
        for layer in store.layers.chain(rec.chain):
            if layer.diff_id not in blobs:
                digest, size = _write_layer(store, layer.chain_id, blob_dir)
                blobs[layer.diff_id] = digest
                descriptors.append({"mediaType": LAYER_GZIP, "digest": digest, "size": size,
                                    "annotations": {UNCOMPRESSED: layer.diff_id}})
    config = json.dumps(cache_config(records, store, blobs)).encode()
    descriptors.append(_put(blob_dir, config, CACHE_CONFIG))
    index = json.dumps({"schemaVersion": 2, "mediaType": INDEX,
                        "manifests": descriptors}).encode()
    top = _put(blob_dir, index, INDEX)
    top["annotations"] = {"org.opencontainers.image.ref.name": "latest"}
    _write(os.path.join(dest, "oci-layout"), b'{"imageLayoutVersion":"1.0.0"}')
    _write(os.path.join(dest, "index.json"),
           json.dumps({"schemaVersion": 2, "mediaType": INDEX, "manifests": [top]}).encode())


def _write_layer(store: Store, chain: str, blob_dir: str) -> tuple[str, int]:
    tmp = os.path.join(blob_dir, ".scow-layer.tmp")
    digest = hashlib.sha256()
    with open(tmp, "wb") as raw:
        hashing = _Hashing(raw, digest)
        with gzip.GzipFile(fileobj=hashing, mode="wb", mtime=0) as gz:
            store.layers.tar_stream(chain, gz)  # type: ignore[arg-type]
    name = "sha256:" + digest.hexdigest()
    os.replace(tmp, os.path.join(blob_dir, digest.hexdigest()))
    return name, hashing.size


class _Hashing:
    def __init__(self, out: Any, digest: Any) -> None:
        self.out, self.digest, self.size = out, digest, 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        return int(self.out.write(data))

    def flush(self) -> None:
        self.out.flush()


def _put(blob_dir: str, data: bytes, media_type: str) -> dict[str, Any]:
    hexd = hashlib.sha256(data).hexdigest()
    _write(os.path.join(blob_dir, hexd), data)
    return {"mediaType": media_type, "digest": "sha256:" + hexd, "size": len(data)}


def _write(path: str, data: bytes) -> None:
    with open(path + ".tmp", "wb") as f:
        f.write(data)
    os.replace(path + ".tmp", path)


class Imported:
    """The records of every ``--cache-from``; each source with an opener of its layer blobs
    (gunzipped; None: the store must have the chains, as after pulling an image)."""

    def __init__(self) -> None:
        self.sources: list[tuple[dict[str, Any], Opener | None]] = []
        self.closers: list[Callable[[], None]] = []  # registry clients kept for lazy blobs

    def close(self) -> None:
        closers, self.closers = self.closers, []
        for close in closers:
            close()

    def add(self, config: dict[str, Any], opener: Opener | None) -> None:
        if not isinstance(config.get("layers"), list) or \
                not isinstance(config.get("records"), list):
            raise InvalidArgument("import build cache: not a buildkit cacheconfig.v0")
        self.sources.append((config, opener))

    def find(self, key: str) -> tuple[list[dict[str, Any]], Opener | None] | None:
        """The layers, base first, of the record `key`, and the opener of their blobs."""
        for config, opener in self.sources:
            for rec in config["records"]:
                if isinstance(rec, dict) and rec.get("digest") == key and rec.get("layers"):
                    return _chain_of(config["layers"], rec["layers"][-1].get("layer")), opener
        return None


def _chain_of(layers: list[Any], index: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    while isinstance(index, int) and 0 <= index < len(layers) and len(out) <= len(layers):
        layer = layers[index]
        if not isinstance(layer, dict):
            raise InvalidArgument("import build cache: a layer is not an object")
        out.append(layer)
        index = layer.get("parent", -1)
    if isinstance(index, int) and index >= 0:
        raise InvalidArgument("import build cache: layer parents form a loop or leave the list")
    return out[::-1]


def read_local(src: str) -> tuple[dict[str, Any], Opener]:
    """``--cache-from type=local,src=``: the cache config of the layout and an opener of its
    layer blobs (each checked against its digest before it is read)."""
    blob_dir = os.path.join(src, "blobs", "sha256")
    try:
        with open(os.path.join(src, "index.json"), "rb") as f:
            top = json.load(f)["manifests"][0]
        index = json.loads(_blob(blob_dir, top["digest"]))
        conf = next(d for d in index["manifests"] if d.get("mediaType") == CACHE_CONFIG)
        config = json.loads(_blob(blob_dir, conf["digest"]))
    except (OSError, ValueError, KeyError, IndexError, TypeError, StopIteration) as exc:
        raise InvalidArgument(f"import build cache {src}: not a buildkit cache layout "
                              f"({type(exc).__name__})") from None

    @contextlib.contextmanager
    def opener(digest: str) -> Iterator[BinaryIO]:
        try:
            path = _checked(blob_dir, digest)
            with open(path, "rb") as f, gzip.GzipFile(fileobj=f) as gz:
                yield gz  # type: ignore[misc]
        except (OSError, ValueError) as exc:
            raise InvalidArgument(f"import build cache: blob {digest}: {exc}") from None

    return config, opener


def _blob(blob_dir: str, digest: str) -> bytes:
    with open(_checked(blob_dir, digest), "rb") as f:
        return f.read()


def _checked(blob_dir: str, digest: str) -> str:
    """The path of blob `digest`, once its content was hashed to that digest."""
    algo, _, hexd = str(digest).partition(":")
    if algo != "sha256" or len(hexd) != 64 or not all(c in "0123456789abcdef" for c in hexd):
        raise ValueError(f"bad digest {digest!r}")
    path = os.path.join(blob_dir, hexd)
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    if h.hexdigest() != hexd:
        raise ValueError(f"blob {digest} does not match its digest")
    return path


def read_inline(image_config: dict[str, Any]) -> dict[str, Any] | None:
    value = image_config.get(INLINE_KEY)
    if not isinstance(value, str):
        return None
    try:
        out = json.loads(base64.b64decode(value, validate=True))
    except ValueError:
        raise InvalidArgument(f"import build cache: {INLINE_KEY} is not base64 JSON") from None
    return out if isinstance(out, dict) else None


def materialize(store: Store, layers: list[dict[str, Any]], opener: Opener | None,
                lease: Any) -> tuple[DiffID, ChainID] | None:
    """The chain of `layers` in the store (registered from `opener`'s blobs where missing); each
    layer registered is passed to `lease` (it comes leased to this process). None when a
    layer is neither in the store nor openable."""
    parent: ChainID | None = None
    diffs: list[str] = []
    for layer in layers:
        diff = (layer.get("annotations") or {}).get(UNCOMPRESSED)
        if not isinstance(diff, str):
            return None
        diffs.append(diff)
        chain = ChainID(chain_id(diffs))
        if store.layers.find(chain) is None:
            if opener is None:
                return None
            with opener(str(layer.get("blob"))) as stream:
                registered = store.layers.register(stream, parent).chain_id
            lease(registered)  # released with the build's leases, whatever follows
            if registered != chain:
                raise InvalidArgument(f"import build cache: layer {layer.get('blob')} is not "
                                      f"{diff}")
        parent = chain
    return None if parent is None else (DiffID(diffs[-1]), parent)
