"""owns: turning one COPY/ADD into a CopySpec for the engine: sources from the context, a stage
or image rootfs (``--from``), heredocs, URLs (ADD) and local tars to unpack (ADD), docker's
destination rules, ``--chown``/``--chmod``, and the checksum of everything copied.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager

from scow.build import e2bparts
from scow.build import instructions as ins
from scow.build.context import SourceRoot, entry_hash, has_wildcards, multi_checksum
from scow.build.gitsource import GitRef, parse_git_ref
from scow.build.ports import CopyEntry, CopySpec
from scow.build.shell import expand_word
from scow.errors import InvalidArgument, Unsupported
from scow.ids import chain_id

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from scow.build.dispatch import StageState, StepContext

_URL_PREFIXES = ("http://", "https://")


def is_url(src: str) -> bool:
    return src.startswith(_URL_PREFIXES)


def _heredoc_for(c: ins.Copy, src: str) -> ins.Heredoc | None:
    if not c.heredocs or not (src.startswith("<<") or src[:1].isdigit()):
        return None  # the parser's module only for a COPY that has heredocs
    from e2b_dockerfile_utils import parse_heredoc

    marker = parse_heredoc(src)
    if marker is None:
        return None
    return next((d for d in c.heredocs if d.name == marker.name), None)


def _expand_heredoc(doc: ins.Heredoc, env: Mapping[str, str], escape: str) -> str:
    ShellLex = e2bparts.shell_lex()

    if not doc.expand:
        return doc.content
    lex = ShellLex(escape, env=env, skip_unset_env=False, skip_process_quotes=True)
    return str(lex.process_word(doc.content))


@contextmanager
def plan_copy(state: StageState, ctx: StepContext, c: ins.Copy, env: Mapping[str, str],
              ) -> Iterator[tuple[CopySpec, str, list[str]]]:
    """Yield (spec, checksum, words shown in history) with any rootfs kept open meanwhile."""
    with ExitStack() as stack:
        root = _source_root(ctx, c, env, stack)
        tmps: list[str] = []

        def tmp() -> str:  # made on first use: a COPY of context files needs none
            if not tmps:
                import tempfile

                tmps.append(stack.enter_context(tempfile.TemporaryDirectory(prefix="scow-copy-")))
            return tmps[0]

        entries: list[CopyEntry] = []
        sums: list[str] = []
        shown: list[str] = []
        dir_like = False
        for raw in c.sources:
            doc = _heredoc_for(c, raw)
            if doc is not None:
                path = os.path.join(tmp(), f"heredoc-{len(sums)}")
                with open(path, "w", encoding="utf-8") as f:
                    f.write(_expand_heredoc(doc, env, ctx.escape))
                os.chmod(path, 0o644)
                entries.append(CopyEntry(path, doc.name, "file"))
                sums.append("file:" + entry_hash(path, doc.name))
                shown.append("<<" + doc.name)
                continue
            src = expand_word(raw, env, ctx.escape)
            shown.append(src)
            git = parse_git_ref(src)
            if git is not None:
                dir_like |= _git(ctx, c, git, tmp(), entries, sums)
                continue
            if is_url(src):
                entries.append(_download(ctx, c, src, tmp(), sums))
                continue
            _check_local(c, src)
            dir_like |= _local(root, c, src, entries, sums)
        yield _spec(state, ctx, c, env, entries, dir_like), multi_checksum(sums or ["empty"]), \
            shown + [expand_word(c.dest, env, ctx.escape)]


def _git(ctx: StepContext, c: ins.Copy, git: GitRef, tmp: str, entries: list[CopyEntry],
         sums: list[str]) -> bool:
    """ADD of a git source: the checkout (or its ``:subdir``), ``.git`` only with
    ``--keep-git-dir``, copied into the destination folder."""
    if not c.is_add:
        raise InvalidArgument(f"source can't be a git ref for {c.name}")
    if c.checksum is not None:
        raise Unsupported("ADD --checksum of a git source is not supported")
    path, commit = ctx.engine.fetch_git(git.remote, git.ref, tmp)
    root = SourceRoot(path, strict=True)
    real = root.relpath(root.resolve(git.subdir))
    if not os.path.isdir(os.path.join(path, real)):
        raise InvalidArgument(f"git {git.remote}: {git.subdir!r} is not a folder of {commit}")
    at_top, skip = real in ("", "."), _excluder(c.excludes)
    entries.extend(CopyEntry(e.abs, e.rel, e.kind) for e in root.walk(real) if not skip(e.rel)
                   and (c.keep_git_dir or not at_top or e.rel.split("/", 1)[0] != ".git"))
    sums.append(f"git:{commit}:{git.subdir}:{c.keep_git_dir}:{','.join(c.excludes)}")
    return True


def _check_local(c: ins.Copy, src: str) -> None:
    if "://" in src or src.startswith("git@"):
        raise Unsupported(f"{c.name} {src}: git and other remote sources are not supported")
    if c.checksum is not None:
        raise InvalidArgument(f"checksum can't be specified for non-HTTP(S) sources: {src}")


def _local(root: SourceRoot, c: ins.Copy, src: str, entries: list[CopyEntry],
           sums: list[str]) -> bool:
    """Add the entries of one context/stage source; True when they go into a folder."""
    dir_like = has_wildcards(src) or c.parents
    skip = _excluder(c.excludes)
    for name, real in root.expand(src):
        walked = [e for e in root.walk(real, name) if not skip(e.rel)]
        is_dir = os.path.isdir(os.path.join(root.root, real))
        extract = c.is_add and not is_dir and _is_archive(os.path.join(root.root, real))
        dir_like |= is_dir or extract
        prefix = _parents_prefix(name, is_dir) if c.parents else ""
        entries.extend(CopyEntry(e.abs, posixpath.join(prefix, e.rel) if prefix else e.rel,
                                 e.kind, extract) for e in walked)
        sums.append(root.checksum(real, name) + (f"@{prefix}" if prefix else ""))
    if c.excludes:
        sums.append("exclude:" + ",".join(c.excludes))
    return dir_like


def _excluder(patterns: tuple[str, ...]) -> Callable[[str], bool]:
    """``--exclude``: .dockerignore patterns matched against each entry's path relative to
    its source (a folder's contents, or a file's own name), as BuildKit's copy does."""
    if not patterns:
        return lambda rel: False
    try:
        matcher = e2bparts.pattern_matcher()(list(patterns))
    except ValueError as exc:
        raise InvalidArgument(f"--exclude: {exc}") from None
    return lambda rel: bool(matcher.matches(rel))


def _parents_prefix(name: str, is_dir: bool) -> str:
    """``COPY --parents``: where under the destination a source lands, its path as named,
    from after a ``/./`` pivot if there is one (BuildKit), without the file's own name."""
    path = "/" + name.lstrip("/")
    if "/./" in path:
        path = path.rsplit("/./", 1)[1]
    path = posixpath.normpath(path.lstrip("/")).lstrip("/")
    if path == ".":
        return ""
    return path if is_dir else posixpath.dirname(path)


def _spec(state: StageState, ctx: StepContext, c: ins.Copy, env: Mapping[str, str],
          entries: list[CopyEntry], dir_like: bool) -> CopySpec:
    dest_word = expand_word(c.dest, env, ctx.escape)
    workdir = state.config.get("WorkingDir") or "/"
    dest = dest_word if dest_word.startswith("/") else posixpath.join(workdir, dest_word)
    trailing = dest_word.endswith("/") or dest_word in (".", "./")
    dest = posixpath.normpath(dest)
    dest = "/" + dest.lstrip("/")
    if len(c.sources) > 1 and not trailing:
        raise InvalidArgument(f"When using {c.name} with more than one source file, the "
                              "destination must be a directory and end with a /")
    chown = expand_word(c.chown, env, ctx.escape) if c.chown else None
    chmod = int(expand_word(c.chmod, env, ctx.escape), 8) if c.chmod else None
    return CopySpec(dest, trailing or dir_like or len(entries) != 1, tuple(entries), chown,
                    chmod, ctx.epoch, c.link)


def _source_root(ctx: StepContext, c: ins.Copy, env: Mapping[str, str],
                 stack: ExitStack) -> SourceRoot:
    if c.from_ is None:
        if ctx.context is None:
            raise InvalidArgument(f"{c.name} needs a build context, but none was given")
        return ctx.context
    ref = expand_word(c.from_, env, ctx.escape)
    named = ctx.contexts.get(ref)
    if named is not None and not named.startswith("docker-image://"):
        if not os.path.isdir(named):
            raise InvalidArgument(f"build context {ref!r}: {named} is not a folder")
        return SourceRoot(named, strict=True)  # --build-context name=path
    is_stage, chain = (False, None) if named is not None else ctx.stage_chain(ref)
    if named is not None:
        ref = named.removeprefix("docker-image://")
    if not is_stage:
        image = ctx.engine.get_image(ref)
        chain = chain_id(image.diff_ids) if image.diff_ids else None
    path = stack.enter_context(ctx.engine.open_rootfs(chain))
    return SourceRoot(path, strict=False)


def _download(ctx: StepContext, c: ins.Copy, url: str, tmp: str, sums: list[str]) -> CopyEntry:
    if not c.is_add:
        raise InvalidArgument(f"source can't be a URL for {c.name}")
    path = ctx.engine.download(url, tmp)
    name = posixpath.basename(url.split("?", 1)[0].rstrip("/")) or os.path.basename(path)
    import hashlib  # OpenSSL: only for a download

    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    if c.checksum is not None:
        _verify_checksum(c.checksum, "sha256:" + digest.hexdigest())
    sums.append("file:" + digest.hexdigest())
    os.chmod(path, 0o600)
    return CopyEntry(path, name, "file")


def _verify_checksum(expected: str, actual: str) -> None:
    """``ADD --checksum=sha256:<hex>``: BuildKit's check of a URL's content."""
    algo, _, hexdigest = expected.partition(":")
    if algo != "sha256" or len(hexdigest) != 64 or not all(
            ch in "0123456789abcdef" for ch in hexdigest):
        raise InvalidArgument(f"invalid checksum digest format {expected!r}: want "
                              "sha256:<64 hex digits>")
    if expected != actual:
        raise InvalidArgument(f"digest mismatch {actual}: {expected}")


def _is_archive(path: str) -> bool:
    """A local tar (plain, gzip, bzip2, xz) that ADD unpacks."""
    import tarfile

    try:
        return os.path.isfile(path) and tarfile.is_tarfile(path)
    except (OSError, tarfile.TarError, EOFError):
        return False
