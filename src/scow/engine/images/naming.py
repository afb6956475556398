"""owns: docker's rules for naming images as the image service applies them: a name that is
an ID (prefix), the familiar form of a reference, `--filter reference=` patterns, a
repository's rows of `docker images REPO`, the filters a verb accepts."""

from __future__ import annotations

from scow.engine.images.records import ImageSummary
from scow.errors import InvalidArgument
from scow.oci.reference import Reference, parse_reference


def is_hex(text: str) -> bool:
    return all(c in "0123456789abcdef" for c in text)


def names_id(name: str, image_id: str) -> bool:
    """Whether the user named the image by (a prefix of) its ID rather than a reference."""
    hex_name = name.removeprefix("sha256:")
    return bool(hex_name) and is_hex(hex_name) and image_id[7:].startswith(hex_name)


def familiar_or_raw(name: str) -> str:
    try:
        return parse_reference(name).familiar()
    except InvalidArgument:
        return name


def ref_matches(pattern: str, tag: str) -> bool:
    import fnmatch

    repo = tag.rsplit(":", 1)[0] if ":" in tag.rsplit("/", 1)[-1] else tag
    return fnmatch.fnmatchcase(tag, pattern) or fnmatch.fnmatchcase(repo, pattern)


def match_repository(images: list[ImageSummary], repository: str) -> list[ImageSummary]:
    try:
        wanted = parse_reference(repository, default_tag=False)
    except InvalidArgument:
        return []
    out = []
    for s in images:
        tags = [t for t in s.repo_tags if _same_repo(t, wanted)]
        if tags:
            out.append(ImageSummary(s.id, tags, s.repo_digests, s.parent, s.created, s.size,
                                    s.labels, s.dangling, s.intermediate))
    return out


def _same_repo(tag: str, wanted: Reference) -> bool:
    ref = parse_reference(tag)
    return ref.name == wanted.name and (wanted.tag is None or ref.tag == wanted.tag)


def check_filters(filters: dict[str, list[str]], allowed: tuple[str, ...]) -> None:
    for key in filters:
        if key not in allowed:
            raise InvalidArgument(f"invalid filter '{key}'")
