"""Time to run a container to completion (`scow run --rm IMAGE true`) with `--network none`,
on the default `bridge` network, on a user network, and with one published port; median of N
rounds on a temp root (vfs). Root only. Prints JSON.

    python bench/network_start.py [rounds]
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    env = dict(os.environ, PYTHONPATH=os.path.join(REPO, "src"))
    with tempfile.TemporaryDirectory(prefix="scow-netstart-") as tmp:
        root = os.path.join(tmp, "root")
        os.makedirs(root)
        with open(os.path.join(root, "scow.toml"), "w") as f:
            f.write('default-address-pools = [{base = "10.251.0.0/16", size = 24}]\n')

        def scow(*args: str) -> None:
            subprocess.run([sys.executable, "-m", "scow", "--root", root, "-s", "vfs", *args],
                           check=True, env=env, capture_output=True)
        subprocess.run([os.path.join(REPO, "demo", "make-busybox-rootfs.sh"),
                        os.path.join(tmp, "bb.tar")], check=True, capture_output=True)
        scow("import", os.path.join(tmp, "bb.tar"), "bb:1")
        scow("network", "create", "bench")
        out = {}
        try:
            for name, flags in (("none", ("--network", "none")), ("bridge", ()),
                                ("user network", ("--network", "bench")),
                                ("bridge -p 80", ("-p", "127.0.0.1::80"))):
                times = []
                for _ in range(rounds):
                    t0 = time.perf_counter()
                    scow("run", "--rm", *flags, "bb:1", "true")
                    times.append(time.perf_counter() - t0)
                out[name] = round(statistics.median(times) * 1000, 1)
        finally:
            scow("network", "rm", "bench")
    print(json.dumps({"run --rm true, median ms": out}, indent=1))


if __name__ == "__main__":
    main()
