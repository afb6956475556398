"""owns: `scow system check`: one line per problem, then a summary; exit code 0 when the
store is clean, 1 when everything found was repaired, 2 when damage remains."""

from __future__ import annotations

from scow.cli.context import Context
from scow.cli.flags import Command, Options


def command() -> Command:
    cmd = Command("system check", usage="scow system check [OPTIONS]",
                  short="Check the store for consistency and optionally repair it", args=(0, 0))
    cmd.bool("repair", "r", "Repair what can be repaired without losing images, containers "
             "or volumes (and narrow modes wider than the store allows)")
    cmd.bool("quick", "q", "Skip re-hashing every layer's content")
    return cmd


def run(opts: Options, ctx: Context) -> int:
    from scow.engine.system_check import check

    report = check(ctx.engine, repair=opts.repair, quick=opts.quick)
    for line in report.lines():
        ctx.out(line)
    ctx.out(report.summary())
    return report.exit_code
