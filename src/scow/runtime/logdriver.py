"""owns: a container's log driver (docker's `--log-driver`/`--log-opt`): which drivers exist,
their options checked with dockerd's texts, and the writer the monitor feeds.

    json-file  <container_dir>/container.log[.N[.gz]] (scow.runtime.logs); max-size, max-file,
               compress (rotated files gzipped, as moby)
    local      <container_dir>/local-logs/container.log[.N[.gz]], docker's protobuf frames
               (scow.runtime.locallog), docker's local defaults: max-size 20m, max-file 5;
               compress gzips rotated files as json-file's (docker's default for local is
               compress=true; scow's is false)
    none       nothing kept; `logs` refuses ("configured logging driver does not support
               reading")
    journald   entries sent to the journal's socket (/run/systemd/journal/socket) with
               CONTAINER_ID, CONTAINER_ID_FULL, CONTAINER_NAME, SYSLOG_IDENTIFIER, PRIORITY
               (6 stdout, 3 stderr); refused where no journald listens; not read back
Common to all: `tag`, `labels`, `labels-regex`, `env`, `env-regex`, `mode`, `max-buffer-size`
are accepted (only `tag` is used, by journald, as a literal).
"""

from __future__ import annotations

import os

from scow.errors import InvalidArgument

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import Any, Protocol
else:
    from scow.typeshim import Protocol

DRIVERS = ("json-file", "local", "none", "journald")
READABLE = ("json-file", "local")
JOURNAL_SOCKET = "/run/systemd/journal/socket"
_COMMON = {"tag", "labels", "labels-regex", "env", "env-regex", "mode", "max-buffer-size"}
_KEYS = {"json-file": {"max-file", "max-size", "compress"} | _COMMON,
         "local": {"max-file", "max-size", "compress"} | _COMMON,
         "journald": _COMMON, "none": None}
_LOCAL_DEFAULTS = {"max-size": "20m", "max-file": "5"}


def check_log_config(driver: str, config: dict[str, str]) -> None:
    """dockerd's ValidateLogOpts and the driver's own checks of its values."""
    if driver not in DRIVERS:
        raise InvalidArgument(f"logger: no log driver named '{driver}' is registered")
    keys = _KEYS[driver]
    if keys is None:
        return
    for key in sorted(config):
        if key not in keys:
            raise InvalidArgument(f"unknown log opt '{key}' for json-file log driver"
                                  if driver == "json-file" else
                                  f"unknown log opt '{key}' for {driver} log driver")
    if driver == "journald" and not journald_available():
        raise InvalidArgument("journald is not enabled on this host")
    if driver in ("json-file", "local"):
        rotation(driver, config)


def rotation(driver: str, config: dict[str, str]) -> tuple[int, int, bool]:
    """(max size in bytes or -1, max files, compress) of a file driver's options."""
    opts = {**_LOCAL_DEFAULTS, **config} if driver == "local" else config
    size = -1
    if opts.get("max-size"):
        from scow.format.units import InvalidSize, parse_size

        try:
            size = parse_size(opts["max-size"])
        except InvalidSize as exc:
            raise InvalidArgument(str(exc) if driver == "json-file" else
                                  f"invalid value for max-size: {opts['max-size']}: {exc}"
                                  ) from None
        if size <= 0:
            raise InvalidArgument("max-size must be a positive number")
    files = 1
    if "max-file" in opts:
        try:
            files = int(opts["max-file"])
        except ValueError:
            raise InvalidArgument(f'strconv.Atoi: parsing "{opts["max-file"]}": invalid '
                                  "syntax") from None
        if files < 1:
            raise InvalidArgument("max-file cannot be less than 1")
    compress = _bool(opts.get("compress", "false"))
    if compress and (files == 1 or size == -1):
        raise InvalidArgument("compress cannot be true when max-file is less than 2 or "
                              "max-size is not set")
    return size, files, compress


def _bool(value: str) -> bool:
    flags = {"1": True, "t": True, "T": True, "true": True, "TRUE": True, "True": True,
             "0": False, "f": False, "F": False, "false": False, "FALSE": False,
             "False": False}
    if value not in flags:
        raise InvalidArgument(f'strconv.ParseBool: parsing "{value}": invalid syntax')
    return flags[value]


def journald_available() -> bool:
    import stat

    try:
        return stat.S_ISSOCK(os.stat(JOURNAL_SOCKET).st_mode)
    except OSError:
        return False


class LogWriter(Protocol):
    def write(self, stream: str, data: bytes) -> None: ...

    def flush_partial(self) -> None: ...

    def close(self) -> None: ...


class NoneWriter:
    """`--log-driver none`: output goes to attached clients only."""

    def write(self, stream: str, data: bytes) -> None:
        pass

    def flush_partial(self) -> None:
        pass

    def close(self) -> None:
        pass


def journal_entry(fields: dict[str, bytes]) -> bytes:
    """The journal's native datagram: KEY=value lines, or KEY, a 64-bit little-endian
    length and the raw value for values with a newline."""
    out = b""
    for key, value in fields.items():
        if b"\n" in value:
            out += key.encode() + b"\n" + len(value).to_bytes(8, "little") + value + b"\n"
        else:
            out += key.encode() + b"=" + value + b"\n"
    return out


class JournaldWriter:
    """`--log-driver journald`: one journal entry a line of output."""

    def __init__(self, cid: str, name: str, tag: str, path: str = JOURNAL_SOCKET) -> None:
        import socket

        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
        self.path = path
        self.base = {"CONTAINER_ID": cid[:12].encode(), "CONTAINER_ID_FULL": cid.encode(),
                     "CONTAINER_NAME": name.encode(),
                     "SYSLOG_IDENTIFIER": (tag or cid[:12]).encode()}
        self._partial: dict[str, bytes] = {}

    def write(self, stream: str, data: bytes) -> None:
        buf = self._partial.pop(stream, b"") + data
        *lines, rest = buf.split(b"\n")
        for line in lines:
            self._send(stream, line)
        if rest:
            self._partial[stream] = rest

    def _send(self, stream: str, line: bytes) -> None:
        fields = {"MESSAGE": line, "PRIORITY": b"3" if stream == "stderr" else b"6",
                  **self.base}
        try:
            self.sock.sendto(journal_entry(fields), self.path)
        except OSError:
            pass  # journald gone: the container keeps running (docker drops too)

    def flush_partial(self) -> None:
        for stream, rest in list(self._partial.items()):
            self._send(stream, rest)
        self._partial.clear()

    def close(self) -> None:
        self.flush_partial()
        self.sock.close()


def open_writer(cfg: dict[str, Any], log_path: str) -> LogWriter:
    """The monitor's writer for its shim.json `log_driver`/`log_opts`/`name`."""
    from scow.runtime.logs import JsonFileWriter

    driver = cfg.get("log_driver") or "json-file"
    if driver == "none":
        return NoneWriter()
    if driver == "journald":
        return JournaldWriter(cfg["id"], cfg.get("name") or "", cfg.get("log_tag") or "")
    writer = JsonFileWriter
    if driver == "local":
        from scow.runtime.locallog import LocalFileWriter

        writer = LocalFileWriter
    return writer(log_path, max_size=int(cfg["log_max_size"]),
                  max_file=int(cfg["log_max_file"]), compress=bool(cfg.get("log_compress")))


def monitor_fields(log: dict[str, Any], name: str) -> dict[str, Any]:
    """MonitorOptions' log fields for a HostConfig.LogConfig (checked again: a journald that
    went away since the create is refused at start)."""
    driver, config = log.get("Type") or "json-file", log.get("Config") or {}
    check_log_config(driver, config)
    size, files, compress = rotation(driver, config) if driver in ("json-file", "local") \
        else (-1, 1, False)
    return {"log_driver": driver, "log_max_size": size, "log_max_file": files,
            "log_compress": compress, "log_tag": config.get("tag", ""), "name": name}


def log_file(container_dir: str, driver: str) -> str:
    """Where a file driver's current log file is."""
    from scow.runtime.locallog import LOCAL_DIR
    from scow.runtime.logs import LOG_FILE

    if driver == "local":
        return os.path.join(container_dir, LOCAL_DIR, LOG_FILE)
    return os.path.join(container_dir, LOG_FILE)
