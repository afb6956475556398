"""owns: parsing and validating what a registry serves as JSON: image manifests (Docker v2
schema 2, OCI), manifest lists / OCI indexes, image configs; descriptors; platforms and the
choice of one manifest of an index for a platform (containerd's normalization rules).

Everything here is pure: bytes in, frozen records out. Hostile input (not JSON, wrong shapes,
bad digests, negative sizes, more than MAX_DOCUMENT_SIZE bytes) is refused with one
InvalidManifest line naming what was wrong.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from scow.errors import InvalidArgument, NotFound, Unsupported
from scow.ids import Digest, digest_of
from scow.oci.jsondoc import MAX_DOCUMENT_SIZE as MAX_DOCUMENT_SIZE  # re-exported
from scow.oci.jsondoc import load_document

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
DOCKER_FOREIGN_LAYER = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
DOCKER_SCHEMA1 = "application/vnd.docker.distribution.manifest.v1+prettyjws"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"

MANIFEST_TYPES = (DOCKER_MANIFEST, OCI_MANIFEST)
INDEX_TYPES = (DOCKER_MANIFEST_LIST, OCI_INDEX)
ACCEPT_ALL = ", ".join(MANIFEST_TYPES + INDEX_TYPES)


class InvalidManifest(InvalidArgument):
    """A manifest, index or config that is not what the specs allow."""


class PlatformNotFound(NotFound):
    """No manifest of an index matches the requested platform."""


@dataclass(frozen=True, slots=True)
class Platform:
    os: str
    architecture: str
    variant: str = ""

    def __str__(self) -> str:
        base = f"{self.os}/{self.architecture}"
        return f"{base}/{self.variant}" if self.variant else base


@dataclass(frozen=True, slots=True)
class Descriptor:
    media_type: str
    digest: Digest
    size: int
    platform: Platform | None = None
    urls: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"mediaType": self.media_type, "digest": self.digest,
                               "size": self.size}
        if self.urls:
            out["urls"] = list(self.urls)
        if self.platform is not None:
            out["platform"] = {"architecture": self.platform.architecture,
                               "os": self.platform.os}
            if self.platform.variant:
                out["platform"]["variant"] = self.platform.variant
        return out


@dataclass(frozen=True, slots=True)
class Manifest:
    media_type: str
    config: Descriptor
    layers: tuple[Descriptor, ...]


@dataclass(frozen=True, slots=True)
class Index:
    media_type: str
    manifests: tuple[Descriptor, ...]


DEFAULT_PLATFORM = Platform("linux", "amd64")

_ARCH_ALIASES = {"x86_64": "amd64", "x86-64": "amd64", "aarch64": "arm64", "i386": "386",
                 "i686": "386", "armhf": "arm", "armel": "arm"}


def normalize_platform(p: Platform) -> Platform:
    """containerd's platforms.Normalize: aliases to GOARCH names, default variants dropped."""
    os_name = p.os.lower()
    arch = p.architecture.lower()
    variant = p.variant.lower()
    if arch == "armhf":
        variant = "v7"
    elif arch == "armel":
        variant = "v6"
    arch = _ARCH_ALIASES.get(arch, arch)
    if arch == "arm64" and variant in ("8", "v8", "v8.0"):
        variant = ""
    elif arch == "amd64" and variant in ("v1",):
        variant = ""
    elif arch == "arm":
        if variant in ("", "7"):
            variant = "v7"
        elif variant in ("5", "6", "8"):
            variant = "v" + variant
    return Platform(os_name, arch, variant)


def parse_platform(text: str) -> Platform:
    """`os/arch[/variant]` as given to --platform, normalized."""
    parts = text.strip().split("/")
    if not 2 <= len(parts) <= 3 or not all(parts):
        raise InvalidArgument(f"parse platform {text!r}: want os/arch[/variant]")
    return normalize_platform(Platform(parts[0], parts[1], parts[2] if len(parts) == 3 else ""))


def _arm_rank(variant: str) -> int:
    return int(variant[1:]) if variant[:1] == "v" and variant[1:].isdigit() else -1


def select_platform(index: Index, want: Platform = DEFAULT_PLATFORM) -> Descriptor:
    """The manifest of `index` for `want`: exact variant first, then (arm) the best older
    variant the wanted one can run. Raise PlatformNotFound naming what the index offers."""
    want = normalize_platform(want)
    best: tuple[int, Descriptor] | None = None
    for desc in index.manifests:
        if desc.platform is None or desc.media_type not in MANIFEST_TYPES:
            continue
        have = normalize_platform(desc.platform)
        if (have.os, have.architecture) != (want.os, want.architecture):
            continue
        if have.variant == want.variant:
            score = 1000
        elif want.architecture == "arm" and 0 <= _arm_rank(have.variant) < _arm_rank(want.variant):
            score = _arm_rank(have.variant)
        else:
            continue
        if best is None or score > best[0]:
            best = (score, desc)
    if best is None:
        offered = ", ".join(sorted({str(d.platform) for d in index.manifests if d.platform}))
        raise PlatformNotFound(
            f"select platform {want}: no matching manifest (index has: {offered or 'none'})")
    return best[1]


# -- parsing ----------------------------------------------------------------------------------
def load_json(data: bytes, what: str) -> dict[str, Any]:
    """`data` as a JSON object, at most MAX_DOCUMENT_SIZE bytes and MAX_DEPTH levels deep."""
    doc = load_document(data, f"parse {what}", error=InvalidManifest)
    if not isinstance(doc, dict):
        raise InvalidManifest(f"parse {what}: not a JSON object")
    return doc


def _str(doc: dict[str, Any], key: str, what: str, *, required: bool = True) -> str:
    value = doc.get(key, None if required else "")
    if not isinstance(value, str) or (required and not value):
        raise InvalidManifest(f"parse {what}: {key!r} must be a non-empty string")
    return value


def _digest(value: object, what: str) -> Digest:
    if not isinstance(value, str) or not value.startswith("sha256:") or len(value) != 71 or \
            any(c not in "0123456789abcdef" for c in value[7:]):
        raise InvalidManifest(f"parse {what}: invalid digest {str(value)[:80]!r}")
    return Digest(value)


def parse_descriptor(doc: object, what: str) -> Descriptor:
    if not isinstance(doc, dict):
        raise InvalidManifest(f"parse {what}: descriptor is not a JSON object")
    size = doc.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise InvalidManifest(f"parse {what}: descriptor size must be a non-negative integer")
    urls = doc.get("urls") or []
    if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
        raise InvalidManifest(f"parse {what}: descriptor urls must be strings")
    platform = None
    if "platform" in doc:
        p = doc["platform"]
        if not isinstance(p, dict):
            raise InvalidManifest(f"parse {what}: platform is not a JSON object")
        platform = Platform(_str(p, "os", what), _str(p, "architecture", what),
                            _str(p, "variant", what, required=False))
    return Descriptor(_str(doc, "mediaType", what), _digest(doc.get("digest"), what), size,
                      platform, tuple(urls))


def _kind(doc: dict[str, Any], media_type: str | None, what: str) -> str:
    if doc.get("schemaVersion") == 1 or media_type == DOCKER_SCHEMA1:
        raise Unsupported(f"parse {what}: schema 1 manifests are not supported")
    if doc.get("schemaVersion") != 2:
        raise InvalidManifest(f"parse {what}: schemaVersion must be 2")
    body_type = doc.get("mediaType")
    if body_type is not None and not isinstance(body_type, str):
        raise InvalidManifest(f"parse {what}: mediaType must be a string")
    kind = body_type or media_type
    if kind in MANIFEST_TYPES + INDEX_TYPES:
        return kind
    if not kind or kind == "application/json":  # OCI allows an absent mediaType
        if "manifests" in doc:
            return OCI_INDEX
        if "layers" in doc:
            return OCI_MANIFEST
    raise InvalidManifest(f"parse {what}: unsupported media type {str(kind)[:100]!r}")


def parse_document(data: bytes, media_type: str | None = None,
                   what: str = "manifest") -> Manifest | Index:
    """A manifest or an index from its bytes; `media_type` is the Content-Type served."""
    doc = load_json(data, what)
    kind = _kind(doc, media_type, what)
    if kind in INDEX_TYPES:
        entries = doc.get("manifests")
        if not isinstance(entries, list):
            raise InvalidManifest(f"parse {what}: 'manifests' must be a list")
        return Index(kind, tuple(parse_descriptor(e, what) for e in entries))
    layers = doc.get("layers")
    if not isinstance(layers, list):
        raise InvalidManifest(f"parse {what}: 'layers' must be a list")
    return Manifest(kind, parse_descriptor(doc.get("config"), what),
                    tuple(parse_descriptor(e, what) for e in layers))


def parse_config(data: bytes, what: str = "image config") -> dict[str, Any]:
    """An image config checked for the fields a pull relies on (rootfs.diff_ids, os,
    architecture); returned as the decoded JSON object."""
    doc = load_json(data, what)
    rootfs = doc.get("rootfs")
    if not isinstance(rootfs, dict) or rootfs.get("type") != "layers":
        raise InvalidManifest(f"parse {what}: rootfs must be an object of type 'layers'")
    diff_ids = rootfs.get("diff_ids")
    if not isinstance(diff_ids, list):
        raise InvalidManifest(f"parse {what}: rootfs.diff_ids must be a list")
    for value in diff_ids:
        _digest(value, what)
    for key in ("os", "architecture", "variant", "os.version", "created", "author"):
        if doc.get(key) is not None and not isinstance(doc[key], str):
            raise InvalidManifest(f"parse {what}: {key!r} must be a string")
    config = doc.get("config")
    if config is not None and not isinstance(config, dict):
        raise InvalidManifest(f"parse {what}: 'config' must be an object")
    for key, value in (config or {}).items():
        _check_config_field(key, value, what)
    return doc


# the container config's typed fields (Go's types, as docker unmarshals them)
_STRINGS = ("Hostname", "Domainname", "User", "WorkingDir", "StopSignal", "Image")
_STRING_LISTS = ("Cmd", "Entrypoint", "Env", "OnBuild", "Shell")
_OBJECTS = ("ExposedPorts", "Volumes", "Healthcheck")


def _check_config_field(key: str, value: object, what: str) -> None:
    """Refuse what docker's Go decoder refuses in `config`; a later create or run relies on
    these types."""
    if value is None:
        return
    if key in _STRINGS:
        ok = isinstance(value, str)
    elif key in _STRING_LISTS:
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
    elif key in _OBJECTS:
        ok = isinstance(value, dict)
    elif key == "Labels":
        ok = isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
    elif key == "StopTimeout":
        ok = isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**63
    else:
        return
    if not ok:
        raise InvalidManifest(f"parse {what}: config.{key} has the wrong type")


def serialize_manifest(m: Manifest) -> bytes:
    """Canonical bytes for a manifest we write (docker's field order, 3-space indent)."""
    doc = {"schemaVersion": 2, "mediaType": m.media_type, "config": m.config.to_json(),
           "layers": [d.to_json() for d in m.layers]}
    return json.dumps(doc, indent=3).encode()


def serialize_index(ix: Index) -> bytes:
    doc = {"schemaVersion": 2, "mediaType": ix.media_type,
           "manifests": [d.to_json() for d in ix.manifests]}
    return json.dumps(doc, indent=3).encode()


def descriptor_of(data: bytes, media_type: str) -> Descriptor:
    return Descriptor(media_type, digest_of(data), len(data))
