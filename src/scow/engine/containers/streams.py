"""owns: the stream types of the container service as the library and the CLI see them:
`AttachConnection` (attach, `start(attach=True)`) with its frame kinds, and `LogEntry`
(`logs`). They are the runtime's own, named here so no caller reaches below the engine."""

from scow.runtime.attach import STDERR, STDOUT, AttachConnection
from scow.runtime.logs import LogEntry

__all__ = ["STDERR", "STDOUT", "AttachConnection", "LogEntry"]
