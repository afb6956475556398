"""owns: `python -m bench.stress [--runs N] [--kills N]`: the reliability suite's stress mix and
random-kill loops at their full counts (10 runs of the mix, 30 rounds of each kill loop; the
suite runs 2 and 12 + 8), one test at a time, and the figures they gather for
docs/reliability.md (printed, and written to `--figures FILE` when given).

It passes or fails like the tests it runs (exit status of pytest) and takes tens of minutes on
2 cores: run it by hand, not in CI.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TESTS = ["tests/reliability/test_stress.py", "tests/reliability/test_random_kill.py"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.stress", description=__doc__)
    ap.add_argument("--runs", type=int, default=10, help="runs of the stress mix (10)")
    ap.add_argument("--kills", type=int, default=30, help="rounds of each kill loop (30)")
    ap.add_argument("--seed", default="", help="SCOW_RANDOM_SEED for the kill loops")
    ap.add_argument("--figures", default="", help="write the figures (JSON) to this file")
    opts = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="scow-stress-") as tmp:
        figures = opts.figures or os.path.join(tmp, "figures.json")
        env = dict(os.environ, SCOW_STRESS_RUNS=str(opts.runs),
                   SCOW_RANDOM_KILLS=str(opts.kills), SCOW_BUILD_KILLS=str(opts.kills),
                   SCOW_RELIABILITY_FIGURES=figures,
                   PYTHONPATH=os.pathsep.join([str(REPO / "src"), str(REPO)]))
        if opts.seed:
            env["SCOW_RANDOM_SEED"] = opts.seed
        rc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             "-o", "timeout=3600", *TESTS], cwd=REPO, env=env).returncode
        try:
            print(json.dumps(json.loads(Path(figures).read_text()), indent=2, sort_keys=True))
        except (OSError, ValueError):
            print("no figures were written", file=sys.stderr)
    return rc


if __name__ == "__main__":
    sys.exit(main())
