"""What a short cold build loads (issue 17: a 1-RUN build spent most of its scow process's CPU
importing): `scow build` of a one-RUN Dockerfile on a local image, run the way `.venv/bin/scow`
runs it (`python -I -S`, scow's source and site-packages on sys.path), with `sys.modules`
and the scow classes that `dataclasses` generated code for dumped when it returns.

A scow record on the build path is a `scow.typeshim.dataclass` (no generated code: ~0.4 ms of
`exec` a class saved at start-up); ALLOWED_DATACLASSES are those that stay real dataclasses on
purpose. The modules of a pull, of `--cache-to`, of parallel stages and of the container
service are not loaded.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

from tests.integration.containers.kit import Scow
from tests.tools import require_root, require_runc

SRC = Path(__file__).resolve().parents[3] / "src"
WRAPPER = """\
import os, sys
out = sys.argv[1]
sys.argv = ["scow", *sys.argv[2:]]
sys.path += [{src!r}, {site!r}]
from scow.cli.main import main
try:
    rc = main()
finally:
    made = []
    for name, mod in list(sys.modules.items()):
        if name.split(".")[0] == "scow":
            made += [name + "." + k for k, v in vars(mod).items() if isinstance(v, type)
                     and v.__module__ == name and "__dataclass_params__" in vars(v)]
    with open(out, "w") as f:
        f.write("\\n".join(sorted(sys.modules)) + "\\n--\\n" + "\\n".join(sorted(made)))
sys.exit(rc)
"""
# one per tar entry or changed file (vfs's diff): dataclasses' generated __init__ is the
# faster one there
ALLOWED_DATACLASSES = {"scow.archive.tarheader.TarHeader", "scow.archive.changes.Change"}
# the distribution service (a pull, a registry cache), --cache-to's registry module, the
# thread pool of parallel stages (concurrent.futures loads logging), platform, the container
# service (a step needs engine.containers.initlayer only)
FORBIDDEN = {"scow.engine.distribution", "scow.store.distribution",
             "scow.engine.builds.registry_cache", "concurrent", "logging", "platform",
             "scow.engine.containers.service"}


def test_one_run_build_loads_no_generated_records_nor_pull(tmp_path: Path,
                                                           busybox_tar: Path) -> None:
    require_root()
    require_runc()
    scow = Scow(tmp_path / "root", "vfs")
    scow("import", str(busybox_tar), "bb:1")
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text("FROM bb:1\nRUN echo hi > /hello\n")
    out = tmp_path / "loaded"
    argv = [sys.executable, "-I", "-S", "-c",
            WRAPPER.format(src=str(SRC), site=sysconfig.get_paths()["purelib"]), str(out),
            "--root", str(scow.root), "-s", scow.driver, "build", "-q", "-t", "one:1", str(ctx)]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL, env=dict(os.environ))
    assert proc.returncode == 0, proc.stderr
    modules_text, _, made_text = out.read_text().partition("\n--\n")
    modules, made = set(modules_text.split()), set(made_text.split())
    loaded = sorted(m for m in modules for f in FORBIDDEN if m == f or m.startswith(f + "."))
    assert not loaded, f"a 1-RUN build of a local image loads {loaded}"
    assert made <= ALLOWED_DATACLASSES, (
        f"records made by dataclasses on the build path: {sorted(made - ALLOWED_DATACLASSES)} "
        "(use scow.typeshim.dataclass)")
