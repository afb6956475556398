"""Parsing and validating manifests, indexes and configs; platform normalization/matching."""

from __future__ import annotations

import json

import pytest

from scow.errors import InvalidArgument, Unsupported
from scow.ids import digest_of
from scow.registry.manifest import (
    DOCKER_CONFIG,
    DOCKER_LAYER,
    DOCKER_MANIFEST,
    DOCKER_MANIFEST_LIST,
    MAX_DOCUMENT_SIZE,
    OCI_INDEX,
    OCI_MANIFEST,
    Descriptor,
    Index,
    InvalidManifest,
    Manifest,
    Platform,
    PlatformNotFound,
    parse_config,
    parse_document,
    parse_platform,
    select_platform,
    serialize_index,
    serialize_manifest,
)

D1, D2, D3 = digest_of(b"1"), digest_of(b"2"), digest_of(b"3")


def _manifest(**extra: object) -> dict[str, object]:
    doc: dict[str, object] = {
        "schemaVersion": 2, "mediaType": DOCKER_MANIFEST,
        "config": {"mediaType": DOCKER_CONFIG, "digest": D1, "size": 10},
        "layers": [{"mediaType": DOCKER_LAYER, "digest": D2, "size": 20}]}
    doc.update(extra)
    return doc


def test_docker_manifest_round_trip() -> None:
    m = parse_document(json.dumps(_manifest()).encode())
    assert isinstance(m, Manifest)
    assert m.config == Descriptor(DOCKER_CONFIG, D1, 10)
    assert m.layers == (Descriptor(DOCKER_LAYER, D2, 20),)
    assert parse_document(serialize_manifest(m)) == m


def test_oci_manifest_without_media_type_is_recognized() -> None:
    doc = _manifest()
    del doc["mediaType"]
    m = parse_document(json.dumps(doc).encode(), None)
    assert isinstance(m, Manifest) and m.media_type == OCI_MANIFEST


def test_index_with_platforms() -> None:
    doc = {"schemaVersion": 2, "mediaType": DOCKER_MANIFEST_LIST, "manifests": [
        {"mediaType": DOCKER_MANIFEST, "digest": D1, "size": 1,
         "platform": {"os": "linux", "architecture": "arm", "variant": "v7"}}]}
    ix = parse_document(json.dumps(doc).encode())
    assert isinstance(ix, Index)
    assert ix.manifests[0].platform == Platform("linux", "arm", "v7")
    assert parse_document(serialize_index(ix)) == ix


@pytest.mark.parametrize(("data", "text"), [
    pytest.param(b"[]", "not a JSON object", id="array"),
    pytest.param(b"{", "not valid JSON", id="truncated"),
    pytest.param(b'{"schemaVersion": 3}', "schemaVersion must be 2", id="version"),
    pytest.param(json.dumps(_manifest(layers={})).encode(), "'layers' must be a list",
                 id="layers-object"),
    pytest.param(json.dumps(_manifest(config={"mediaType": DOCKER_CONFIG, "digest": "md5:x",
                                              "size": 1})).encode(), "invalid digest",
                 id="digest"),
    pytest.param(json.dumps(_manifest(config={"mediaType": DOCKER_CONFIG, "digest": D1,
                                              "size": -1})).encode(), "non-negative",
                 id="negative-size"),
    pytest.param(json.dumps(_manifest(mediaType="text/html")).encode(),
                 "unsupported media type", id="media-type"),
    pytest.param(b" " * (MAX_DOCUMENT_SIZE + 1), "byte limit", id="oversized"),
    pytest.param(b"[" * 100000 + b"]" * 100000, "nested too deeply", id="deep-nesting"),
])
def test_hostile_documents_are_one_line_invalid_argument(data: bytes, text: str) -> None:
    with pytest.raises(InvalidArgument, match=text) as info:
        parse_document(data, DOCKER_MANIFEST)
    assert isinstance(info.value, InvalidManifest)
    assert "\n" not in str(info.value)


def test_schema1_is_unsupported() -> None:
    with pytest.raises(Unsupported, match="schema 1"):
        parse_document(b'{"schemaVersion": 1, "fsLayers": []}')


def test_config_checks_diff_ids() -> None:
    good = {"os": "linux", "architecture": "amd64", "rootfs": {"type": "layers",
                                                               "diff_ids": [D3]}}
    assert parse_config(json.dumps(good).encode())["rootfs"]["diff_ids"] == [D3]
    bad = dict(good, rootfs={"type": "layers", "diff_ids": ["sha256:nothex"]})
    with pytest.raises(InvalidManifest, match="invalid digest"):
        parse_config(json.dumps(bad).encode())
    with pytest.raises(InvalidManifest, match="rootfs"):
        parse_config(b"{}")


@pytest.mark.parametrize(("text", "want"), [
    ("linux/amd64", Platform("linux", "amd64")),
    ("linux/x86_64", Platform("linux", "amd64")),
    ("linux/arm64/v8", Platform("linux", "arm64")),
    ("linux/aarch64", Platform("linux", "arm64")),
    ("linux/arm", Platform("linux", "arm", "v7")),
    ("linux/armhf", Platform("linux", "arm", "v7")),
    ("linux/arm/6", Platform("linux", "arm", "v6")),
    ("Linux/AMD64/v1", Platform("linux", "amd64")),
])
def test_parse_platform_normalizes(text: str, want: Platform) -> None:
    assert parse_platform(text) == want


@pytest.mark.parametrize("text", ["linux", "linux/", "a/b/c/d", "/amd64"])
def test_parse_platform_refuses(text: str) -> None:
    with pytest.raises(InvalidArgument, match="os/arch"):
        parse_platform(text)


def _index(*platforms: Platform) -> Index:
    return Index(OCI_INDEX, tuple(
        Descriptor(DOCKER_MANIFEST, digest_of(str(p).encode()), 1, p) for p in platforms))


def test_select_platform_prefers_exact_then_older_arm() -> None:
    ix = _index(Platform("linux", "amd64"), Platform("linux", "arm64", "v8"),
                Platform("linux", "arm", "v6"), Platform("linux", "arm", "v5"))
    assert select_platform(ix).platform == Platform("linux", "amd64")
    assert select_platform(ix, parse_platform("linux/arm64")).platform == \
        Platform("linux", "arm64", "v8")
    # an arm/v7 host runs v6 before v5
    assert select_platform(ix, parse_platform("linux/arm/v7")).platform == \
        Platform("linux", "arm", "v6")
    with pytest.raises(PlatformNotFound, match="linux/arm/v5"):
        select_platform(_index(Platform("linux", "arm", "v7")), parse_platform("linux/arm/v5"))


def test_select_platform_skips_attestations() -> None:
    unknown = Descriptor(DOCKER_MANIFEST, D1, 1, Platform("unknown", "unknown"))
    amd = Descriptor(OCI_MANIFEST, D2, 1, Platform("linux", "amd64"))
    assert select_platform(Index(OCI_INDEX, (unknown, amd))) == amd


@pytest.mark.parametrize("config", [
    {"Cmd": -1}, {"Cmd": ["a", 1]}, {"Entrypoint": True}, {"Env": "A=1"}, {"Labels": "x"},
    {"Labels": {"a": 1}}, {"ExposedPorts": ["80/tcp"]}, {"Volumes": "/data"}, {"User": 0},
    {"WorkingDir": []}, {"StopTimeout": "10"}, {"Healthcheck": "none"},
])
def test_config_fields_of_the_wrong_type_are_refused(config: dict[str, object]) -> None:
    """Docker's Go decoder refuses these; scow loaded them and `create` then crashed."""
    doc = {"rootfs": {"type": "layers", "diff_ids": []}, "config": config}
    with pytest.raises(InvalidArgument, match=r"config\.\w+ has the wrong type$"):
        parse_config(json.dumps(doc).encode())


def test_config_fields_of_the_right_type_pass() -> None:
    config = {"Cmd": None, "Entrypoint": ["sh"], "Env": ["A=1"], "Labels": {"a": "b"},
              "ExposedPorts": {"80/tcp": {}}, "Volumes": {"/d": {}}, "User": "1:1",
              "StopTimeout": 5, "Unknown": 1}
    doc = {"rootfs": {"type": "layers", "diff_ids": []}, "config": config}
    assert parse_config(json.dumps(doc).encode())["config"] == config
