"""owns: the error hierarchy of scow; every error has exactly one category.

A category carries the CLI exit code and the Engine API HTTP status; each is mapped in one
place (`exit_code_of` here for the CLI, the API server later). Foreign exceptions are
translated once, at the boundary where they arise, with ``raise X(...) from exc``.

Messages are lowercase, verb first, and name the object and its short ID, e.g.
``apply layer 3f9a0c1b2d4e: write usr/bin/x: no space left on device``.
"""

from __future__ import annotations

import errno

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import ClassVar


class ScowError(Exception):
    """Base of every error scow raises on purpose."""

    http_status: ClassVar[int] = 500
    exit_code: ClassVar[int] = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


# -- categories ------------------------------------------------------------------------------
class NotFound(ScowError):
    http_status = 404


class InvalidArgument(ScowError):
    http_status = 400
    exit_code = 1


class Conflict(ScowError):
    http_status = 409


class Unauthorized(ScowError):
    http_status = 401


class Forbidden(ScowError):
    http_status = 403


class Unavailable(ScowError):
    http_status = 503


class Unsupported(ScowError):
    http_status = 501


class IntegrityError(ScowError):
    http_status = 500


class InternalError(ScowError):
    http_status = 500


CATEGORIES: tuple[type[ScowError], ...] = (
    NotFound, InvalidArgument, Conflict, Unauthorized, Forbidden, Unavailable, Unsupported,
    IntegrityError, InternalError,
)


# -- concrete errors -------------------------------------------------------------------------
class ImageNotFound(NotFound):
    pass


class LayerNotFound(NotFound):
    pass


class ContainerNotFound(NotFound):
    pass


class BlobNotFound(NotFound):
    pass


class VolumeNotFound(NotFound):
    pass


class InvalidReference(InvalidArgument):
    pass


class InvalidDigest(InvalidArgument):
    pass


class UnsafeArchive(InvalidArgument):
    """An archive entry would write or link outside its target (a breakout)."""


class MalformedArchive(InvalidArgument):
    """A tar stream that cannot be parsed (truncated, garbage, bad checksum)."""


class DockerfileError(InvalidArgument):
    pass


class NameInUse(Conflict):
    pass


class ImageInUse(Conflict):
    pass


class ContainerRunning(Conflict):
    pass


class LayerInUse(Conflict):
    pass


class RegistryUnauthorized(Unauthorized):
    pass


class RegistryDenied(Forbidden):
    pass


class LockTimeout(Unavailable):
    pass


class RegistryUnavailable(Unavailable):
    pass


class NoSpace(Unavailable):
    """The filesystem under the store is full (ENOSPC/EDQUOT)."""


class BuildCancelled(Unavailable):
    """A build stopped because the one who asked for it went away (an API client that
    closed its connection), as dockerd's "context canceled"."""


class DriverUnsupported(Unsupported):
    pass


class DigestMismatch(IntegrityError):
    pass


class SizeMismatch(IntegrityError):
    pass


class StoreCorrupted(IntegrityError):
    def __init__(self, message: str, *, hint: str | None = "run `scow system check`") -> None:
        super().__init__(message, hint=hint)


class MountError(InternalError):
    pass


class DriverError(InternalError):
    pass


class RuntimeFailure(InternalError):
    """The OCI runtime (runc) failed; the message carries its stderr's last line."""


class BuildStepFailed(InternalError):
    pass


class ContainerError(InternalError):
    """A container run by the library (`containers.run`, not detached) exited non-zero, as
    docker-py's ContainerError: its exit status and its stderr are kept."""

    def __init__(self, message: str, *, exit_status: int, stderr: bytes = b"") -> None:
        super().__init__(message)
        self.exit_status = exit_status
        self.stderr = stderr


def category_of(exc: ScowError) -> type[ScowError]:
    for cat in CATEGORIES:
        if isinstance(exc, cat):
            return cat
    return InternalError


def exit_code_of(exc: BaseException) -> int:
    """The CLI exit code for an exception (1 for everything but what a command overrides)."""
    if isinstance(exc, ScowError):
        return exc.exit_code
    return 1


def from_oserror(verb: str, exc: OSError) -> ScowError:
    """Translate an OSError met while doing `verb` into the matching scow error."""
    reason = exc.strerror or str(exc)
    msg = f"{verb}: {reason.lower()}"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return NoSpace(msg)
    if exc.errno == errno.ENOENT:
        return NotFound(msg)
    if exc.errno in (errno.EACCES, errno.EPERM):
        return Forbidden(msg)
    if exc.errno in (errno.ENOSYS, errno.EOPNOTSUPP):
        return Unsupported(msg)
    return InternalError(msg)
