"""owns: `scow image analyze` (beyond docker: what each layer costs and wastes, dive's
efficiency and CI rules, copy-up findings with advice)."""

from __future__ import annotations

import os

from scow.cli.context import Context
from scow.cli.flags import Command, Options
from scow.errors import InvalidArgument

LONG = ("Show what each layer of IMAGE adds, changes and removes, the bytes it makes "
        "unreachable in lower layers, the image's wasted bytes and efficiency (as dive "
        "computes them), the largest files in more than one layer, and findings with one line "
        "of advice each (files copied up for a chmod/chown, caches, logs and databases a "
        "container will copy up). Read from the layers' tar-split metadata; nothing is "
        "extracted.\n\nWith --ci, also evaluate dive's rules (from the flags, or from "
        "--ci-config, default ./.dive-ci when present) and exit 1 if one fails.")


def command() -> Command:
    cmd = Command("analyze", usage="scow image analyze [OPTIONS] IMAGE",
                  short="Show what each layer of an image costs and wastes", long=LONG,
                  aliases=("image analyze",), args=(1, 1))
    cmd.string("format", None, 'Output format: "" (the plain report) or "json"',
               metavar="string")
    cmd.bool("ci", None, "Evaluate dive's CI rules and exit 1 if one fails")
    cmd.string("ci-config", None, "A .dive-ci file of rules (default ./.dive-ci if present)",
               metavar="string")
    cmd.string("lowest-efficiency", None, "CI: lowest allowed efficiency, 0..1 (default 0.9)",
               metavar="string")
    cmd.string("highest-wasted-bytes", None, "CI: highest allowed wasted bytes, e.g. 20MB "
               '(default "disabled")', metavar="string")
    cmd.string("highest-user-wasted-percent", None, "CI: highest allowed wasted bytes / user "
               "bytes, 0..1 (default 0.1)", metavar="string")
    cmd.bool("tui", None, "Browse the layers and their file trees interactively (needs "
             "pip install 'scow[tui]')")
    return cmd


def run(opts: Options, ctx: Context) -> int:
    from scow.analyze import report

    if opts.format not in (None, "", "json"):
        raise InvalidArgument(f'analyze image: unknown format {opts.format!r} (use "json")')
    rules = _rules(opts) if opts.ci else None
    if opts.tui:
        from scow.cli.analyze_tui import load_textual

        load_textual()  # a missing extra is one line, before any work
    analysis = ctx.engine.images.analyze(opts.args[0])
    if opts.tui:
        from scow.cli.analyze_tui import browse

        return browse(analysis)
    ctx.stdout.write(report.to_json(analysis) if opts.format == "json"
                     else report.render(analysis))
    if rules is None:
        return 0
    from scow.analyze.ci import evaluate

    results = evaluate(analysis, rules)
    out = ctx.stderr if opts.format == "json" else ctx.stdout
    out.write("\nCI rules:\n" + "".join(
        f"  {r.status}: {r.key}{f' ({r.message})' if r.message else ''}\n" for r in results))
    failed = sum(1 for r in results if r.status == "FAIL")
    out.write(f"Result: {'FAIL' if failed else 'PASS'} [Total:{len(results)}] "
              f"[Passed:{sum(r.status == 'PASS' for r in results)}] [Failed:{failed}] "
              f"[Skipped:{sum(r.status == 'SKIP' for r in results)}]\n")
    return 1 if failed else 0


def _rules(opts: Options) -> dict[str, str]:
    from scow.analyze.ci import (
        HIGHEST_USER_WASTED_PERCENT,
        HIGHEST_WASTED_BYTES,
        LOWEST_EFFICIENCY,
        read_config,
        validate,
    )

    path = opts.ci_config or (".dive-ci" if os.path.isfile(".dive-ci") else None)
    rules = read_config(path) if path else {}
    for key, flag in ((LOWEST_EFFICIENCY, opts.lowest_efficiency),
                      (HIGHEST_WASTED_BYTES, opts.highest_wasted_bytes),
                      (HIGHEST_USER_WASTED_PERCENT, opts.highest_user_wasted_percent)):
        if flag:
            rules[key] = flag
    validate(rules)
    return rules
