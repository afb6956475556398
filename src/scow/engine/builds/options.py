"""owns: what a caller hands `BuildService.build`, as the library and the CLI see it: the
context (`BuildContext.from_dir`, `.from_tar`), the `BuildOptions`, the progress renderers
(`make_progress(stream, "plain" | "tty" | "quiet")`) and the Dockerfile size limit. They are
the builder's own (scow.build), with the ``--secret``/``--ssh``/``--allow`` grammar, named
here so no caller reaches below the engine."""

from scow.build.context import BuildContext
from scow.build.instructions import MAX_DOCKERFILE_SIZE
from scow.build.ports import BuildOptions, Secret, SshSource
from scow.build.progress import Progress, make_progress
from scow.build.sources import parse_allow, parse_secret, parse_ssh

__all__ = ["MAX_DOCKERFILE_SIZE", "BuildContext", "BuildOptions", "Progress", "Secret",
           "SshSource", "make_progress", "parse_allow", "parse_secret", "parse_ssh"]
