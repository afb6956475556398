"""cli.main.exit_now, the launcher's last call: with no other thread and nothing registered
with atexit, the process ends without the interpreter's teardown (a tenth of a short
command's instructions), its output flushed; otherwise it exits the usual way."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[3] / "src"

PROGRAM = """
import sys
from scow.cli.main import exit_now

class Torn:
    def __del__(self):
        sys.stderr.write("torn down")

kept = Torn()
print("out" * 50000, end="")  # more than one buffer: flushed before the exit
sys.stderr.write("err")
{extra}
exit_now(3)
"""


def _run(extra: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-I", "-c", PROGRAM.format(extra=extra)],
                          capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, PYTHONPATH=str(SRC)), cwd="/")


def test_ends_without_teardown_output_flushed() -> None:
    proc = _run()
    assert proc.returncode == 3
    assert proc.stdout == "out" * 50000 and proc.stderr == "err"  # no "torn down"


def test_exits_the_usual_way_when_atexit_has_work() -> None:
    proc = _run("import atexit; atexit.register(lambda: sys.stderr.write(' atexit'))")
    assert proc.returncode == 3
    assert proc.stderr.startswith("err atexit")


def test_exits_the_usual_way_while_a_thread_runs() -> None:
    proc = _run("import threading, time\n"
                "threading.Thread(target=lambda: (time.sleep(0.2), "
                "sys.stderr.write(' thread'))).start()")
    assert proc.returncode == 3
    assert proc.stderr.startswith("err thread")
