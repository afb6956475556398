"""Resource limits and runtime flags of `run`/`create` on real runc and cgroup v1, as a user
types them: single-file binds, --memory (OOM kill), --pids-limit, --cpus, --ulimit, --init,
`update`, and what `inspect` shows of them."""

from __future__ import annotations

from pathlib import Path

from tests.integration.containers.kit import Scow


def test_single_file_bind(one: Scow, tmp_path: Path) -> None:
    f = tmp_path / "f"
    f.write_text("hi\n")
    assert one.out("run", "--rm", "-v", f"{f}:/test.txt", "bb:1", "cat", "/test.txt") == "hi\n"
    proc = one("run", "--rm", "--mount", f"type=bind,src={f},dst=/etc/x.txt,ro", "bb:1",
               "sh", "-c", "cat /etc/x.txt; echo no > /etc/x.txt", check=False)
    assert proc.stdout == "hi\n" and proc.returncode == 1 and "Read-only" in proc.stderr
    assert f.read_text() == "hi\n"
