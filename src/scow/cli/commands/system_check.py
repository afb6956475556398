"""owns: `scow system check`: one line per problem (``pending``/``repairable``/``damaged``/
``repaired``), then a summary; the exit rule is engine/system_check.py's and is in the help."""

from __future__ import annotations

from scow.cli.context import Context
from scow.cli.flags import Command, Options

LONG = """Check the store for consistency and optionally repair it.

Each problem is reported as one of:
  pending     the normal leftover of a scow that died (an interrupted row, a stale lease or
              staging entry, an unused layer, the mount of a stopped container or a dead build
              step); the next scow command that writes recovers it on its own
  repairable  something only --repair fixes (an orphan folder, file, link or blob, a dangling
              reference, loose file modes, network leftovers, a container layer's link or
              lower file a power loss took, which its next mount also rebuilds); no image,
              container or volume is lost
  damaged     what no repair can undo (a layer whose folder or content is gone)

Exit status:
  0  the store is sound: nothing found, or only pending leftovers (with --repair: everything
     that was not pending is fixed)
  1  something needs --repair (with --repair: a repair failed)
  2  something is damaged

--repair fixes what it can (running the recovery now for pending leftovers), checks again
and reports what remains."""


def command() -> Command:
    cmd = Command("system check", usage="scow system check [OPTIONS]",
                  short="Check the store for consistency and optionally repair it", args=(0, 0),
                  long=LONG)
    cmd.bool("repair", "r", "Repair what can be repaired without losing images, containers "
             "or volumes (and narrow modes wider than the store allows)")
    cmd.bool("quick", "q", "Skip re-hashing every layer's content")
    return cmd


def run(opts: Options, ctx: Context) -> int:
    report = ctx.engine.system.check(repair=opts.repair, quick=opts.quick)
    for line in report.lines():
        ctx.out(line)
    ctx.out(report.summary())
    return report.exit_code
