"""owns: where scow's settings come from: arguments, then SCOW_* environment variables, then
``<root>/scow.toml``, then defaults (root ``/var/lib/scow`` for root, else
``$XDG_DATA_HOME/scow``; runtime ``runc``; the storage driver chosen like Docker's).

``scow.toml`` keys: ``storage-driver``, ``runtime``, ``insecure-registries`` (list),
``seccomp-profile`` (a docker seccomp profile's path for containers that name none, or
``unconfined``; unset: docker's default profile; dockerd's ``--seccomp-profile``),
``default-address-pools`` and ``dns`` (daemon.json's; read by engine/networks.py),
``log-driver`` and ``log-opts`` (a table of strings; daemon.json's: the driver of containers
created without ``--log-driver``, and options for that driver).
"""

from __future__ import annotations

import os

from scow.errors import InvalidArgument

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import Any, NamedTuple
else:
    from scow.typeshim import NamedTuple


class Settings(NamedTuple):
    root: str
    storage_driver: str | None
    runtime: str
    insecure_registries: tuple[str, ...] = ()
    seccomp_profile: str = ""
    log_driver: str = ""
    log_opts: dict[str, str] = {}  # noqa: RUF012 - never mutated (a NamedTuple default)

    @classmethod
    def resolve(cls, root: str | None = None, storage_driver: str | None = None,
                runtime: str | None = None) -> Settings:
        root = root or os.environ.get("SCOW_ROOT") or default_root()
        root = os.path.abspath(root)
        conf = read_config(os.path.join(root, "scow.toml"))
        driver = storage_driver or os.environ.get("SCOW_STORAGE_DRIVER") or \
            conf.get("storage-driver") or None
        rt = runtime or os.environ.get("SCOW_RUNTIME") or conf.get("runtime") or "runc"
        insecure = tuple(str(x) for x in conf.get("insecure-registries", []))
        seccomp = conf.get("seccomp-profile", "")
        if not isinstance(seccomp, str):
            raise InvalidArgument(f"read {os.path.join(root, 'scow.toml')}: seccomp-profile: "
                                  "not a string")
        if seccomp not in ("", "unconfined"):  # a relative path is relative to the root
            seccomp = os.path.join(root, seccomp)
        log_driver, log_opts = _log_defaults(conf, os.path.join(root, "scow.toml"))
        return cls(root, driver, str(rt), insecure, seccomp, log_driver, log_opts)


def _log_defaults(conf: dict[str, Any], path: str) -> tuple[str, dict[str, str]]:
    """scow.toml's log-driver and log-opts (daemon.json's keys), type-checked."""
    driver, opts = conf.get("log-driver", ""), conf.get("log-opts", {})
    if not isinstance(driver, str):
        raise InvalidArgument(f"read {path}: log-driver: not a string")
    if not isinstance(opts, dict) or not all(isinstance(v, str) for v in opts.values()):
        raise InvalidArgument(f"read {path}: log-opts: not a table of strings")
    return driver, dict(opts)


def default_root() -> str:
    if os.geteuid() == 0:
        return "/var/lib/scow"
    base = os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share")
    return os.path.join(base, "scow")


def read_config(path: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return {}
    import tomllib

    try:
        return tomllib.loads(data.decode())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidArgument(f"read {path}: {exc}") from None
