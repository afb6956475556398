"""owns: what a caller hands `BuildService.build`, as the library and the CLI see it: the
context (`BuildContext.from_dir`, `.from_tar`), the `BuildOptions`, the progress renderers
(`make_progress(stream, "plain" | "tty" | "quiet")`), the Dockerfile size limit, the
frontend checks' warnings and their two printed forms (after a build, ``build --check``)
and the ``--secret``/``--ssh``/``--allow`` grammar. They are the builder's own
(scow.build), named here so no caller reaches below the engine."""

from scow.build.checks import LintWarning, format_check, format_summary
from scow.build.context import BuildContext
from scow.build.instructions import MAX_DOCKERFILE_SIZE
from scow.build.ports import BuildOptions, OutputSpec, RunExtras, Secret, SshSource
from scow.build.progress import Progress, make_progress
from scow.build.sources import parse_allow, parse_secret, parse_ssh

__all__ = ["MAX_DOCKERFILE_SIZE", "BuildContext", "BuildOptions", "LintWarning", "OutputSpec",
           "Progress", "RunExtras", "Secret", "SshSource", "format_check", "format_summary",
           "make_progress", "parse_allow", "parse_secret", "parse_ssh"]
