"""owns: `python -m bench [--quick] [--only 1,4|short] [--keep]`: set up, run the scenarios
in an order that keeps stores small where it matters, write the results, tear everything down.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from bench import (
    report,
    scenarios_api,
    scenarios_build,
    scenarios_cli,
    scenarios_data,
    scenarios_startup,
)
from bench.context import Bench, Sizes
from bench.engines import REPO, compile_scow, ensure_packages
from bench.measure import Row

# (scenario numbers it covers, function); run in this order
PLAN: list[tuple[tuple[int, ...], Callable[[Bench], list[Row]]]] = [
    ((1,), scenarios_cli.walkthrough),
    ((2,), scenarios_cli.latency),
    ((10,), scenarios_api.api),
    ((9,), scenarios_startup.short_commands),
    ((8,), scenarios_data.many_layers),
    ((4,), scenarios_data.layer_apply),
    ((4,), scenarios_data.commit),
    ((6,), scenarios_data.distribution),
    ((7,), scenarios_data.build),
    ((7,), scenarios_build.build_vs_buildkit),
    ((3,), scenarios_cli.many_containers),
    ((2, 5), scenarios_cli.listing),
]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    ap.add_argument("--quick", action="store_true", help="small sizes, one run each")
    ap.add_argument("--only", default="",
                    help="comma-separated scenario numbers (1-10); 'short' is 9, the short "
                         "commands' start-up against the Python floor; 'build' is 7, "
                         "the builds (classic builder and BuildKit); 'api' is 10, the Engine "
                         "API (`scow system service`) beside dockerd")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (stores, logs)")
    ap.add_argument("--tmp", default="/var/tmp", help="where the temp dir goes (a disk)")
    ap.add_argument("--update", action="store_true",
                    help="with --only: replace those scenarios in the newest full run's "
                         "results and rewrite docs/benchmarks.md from them")
    args = ap.parse_args(argv)
    named = {"short": 9, "build": 7, "api": 10}
    only = {named[x] if x in named else int(x) for x in args.only.split(",") if x}
    signal.signal(signal.SIGTERM, _interrupted)   # so the engines are stopped on kill too
    signal.signal(signal.SIGINT, _interrupted)
    ensure_packages()
    compile_scow()
    sizes = Sizes.quick() if args.quick else Sizes()
    tmp = Path(tempfile.mkdtemp(prefix="scow-bench-", dir=args.tmp))
    b = Bench(tmp, sizes)
    rows: list[Row] = []
    stamp = time.strftime("%Y-%m-%dT%H-%M-%S")
    t_start = time.monotonic()
    try:
        limits = scenarios_data.machine_limits(b)
        for numbers, fn in PLAN:
            if only and not only.intersection(numbers):
                continue
            t0 = time.monotonic()
            print(f"bench: {fn.__name__} ...", flush=True)
            try:
                got = fn(b)
            except Exception as exc:  # noqa: BLE001 - one scenario failing is a result
                traceback.print_exc()
                got = [Row(numbers[0], fn.__name__, "s", note=f"failed: {exc}"[:300])]
            rows += got
            sys.stdout.write(report.table(got))
            print(f"bench: {fn.__name__} took {time.monotonic() - t0:.0f} s", flush=True)
    finally:
        b.close()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    if args.update and only:
        rows += _earlier_rows(exclude=only)
    rows.sort(key=lambda r: r.scenario)
    info = {"machine": report.machine(), "limits": limits, "quick": args.quick,
            "sizes": vars(sizes), "seconds": round(time.monotonic() - t_start)}
    remarks = REPO / "bench" / "remarks.md"
    partial = args.quick or (bool(only) and not args.update)
    mode = f" --only {args.only} --update" if args.update and only else ""
    out = report.write(rows, info, quick=partial, stamp=stamp, mode=mode,
                       remarks=remarks.read_text() if remarks.exists() else "")
    print(f"bench: wrote {out}" + ("" if partial else " and docs/benchmarks.md"))
    return 0


def _earlier_rows(exclude: set[int]) -> list[Row]:
    """The rows of the newest full run for the scenarios not re-run now."""
    import json

    runs = sorted(p for p in (REPO / "bench" / "results").glob("*.json")
                  if not p.stem.endswith("-quick"))
    if not runs:
        return []
    out = []
    for r in json.loads(runs[-1].read_text())["rows"]:
        if r["scenario"] in exclude:
            continue
        row = Row(r["scenario"], r["what"], r["unit"], limit=r["limit"],
                  limit_what=r["limit_what"], note=r["note"])
        row.values, row.samples = dict(r["median"]), dict(r["samples"])
        out.append(row)
    return out


def _interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


if __name__ == "__main__":
    sys.exit(main())
