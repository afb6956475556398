"""owns: the `Analysis` of an image (per-layer rows, the image's totals, dive's figures, the
largest files seen in several layers, the findings) and its two renderings: the plain report
and the JSON document of `scow image analyze --format json`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from scow.analyze.efficiency import PathCost, efficiency
from scow.analyze.entries import Entry
from scow.analyze.findings import Finding, find
from scow.analyze.layers import LayerChanges, Mark, layer_changes
from scow.format.units import human_size

TOP_FILES = 10


@dataclass(frozen=True)
class LayerRow:
    index: int
    diff_id: str
    created_by: str
    changes: LayerChanges


@dataclass(frozen=True)
class Analysis:
    image: str  # the image ID
    name: str  # as the user named it
    layers: list[LayerRow]
    size: int  # dive's image size: the sum of the layers' entry sizes
    user_size: int  # the same without the first layer
    reachable_size: int  # what a container sees: the files of the merged layers
    wasted_bytes: int  # dive's: the cumulative size of every path in two or more layers
    user_wasted_percent: float  # dive's: wasted bytes / user size (a fraction)
    efficiency: float  # dive's score, 0..1
    unreachable_bytes: int  # ours: the bytes later layers hide (overwritten or deleted)
    top_files: list[PathCost] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    marks: list[list[Mark]] = field(default_factory=list)  # per layer, for the TUI


def analyze(image: str, name: str, layers: Sequence[Sequence[Entry]],
            created_by: Sequence[str], diff_ids: Sequence[str]) -> Analysis:
    dive = efficiency(layers)
    changes, stack = layer_changes(layers)
    rows = [LayerRow(i, diff_ids[i] if i < len(diff_ids) else "",
                     created_by[i] if i < len(created_by) else "", c)
            for i, c in enumerate(changes)]
    top = sorted(dive.inefficiencies, key=lambda c: -c.cumulative_size)[:TOP_FILES]
    return Analysis(image, name, rows, dive.size, dive.user_size, stack.reachable_size,
                    dive.wasted_bytes, dive.user_wasted_percent, dive.score,
                    sum(c.unreachable for c in changes), top,
                    find(layers, stack, created_by), stack.marks)


def to_json(analysis: Analysis) -> str:
    doc: dict[str, Any] = {
        "image": analysis.image, "name": analysis.name,
        "layer": [{"index": r.index, "digestId": r.diff_id, "command": r.created_by,
                   "sizeBytes": r.changes.size, "added": r.changes.added,
                   "changed": r.changes.changed, "removed": r.changes.removed,
                   "unreachableBytes": r.changes.unreachable} for r in analysis.layers],
        "image_summary": {
            "sizeBytes": analysis.size, "userSizeBytes": analysis.user_size,
            "reachableSizeBytes": analysis.reachable_size,
            "inefficientBytes": analysis.wasted_bytes,
            "userWastedPercent": _finite(analysis.user_wasted_percent),
            "efficiencyScore": analysis.efficiency,
            "unreachableBytes": analysis.unreachable_bytes,
            "fileReference": [{"count": c.layers, "sizeBytes": c.cumulative_size,
                               "file": c.path} for c in analysis.top_files],
        },
        "findings": [{"kind": f.kind, "layer": f.layer, "files": f.files, "sizeBytes": f.size,
                      "message": f.message, "advice": f.advice, "paths": list(f.paths)}
                     for f in analysis.findings],
    }
    return json.dumps(doc, indent=2) + "\n"


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def render(analysis: Analysis) -> str:
    """The plain report: layers, image totals, files in several layers, findings."""
    out = [f"Image: {analysis.name} ({analysis.image.removeprefix('sha256:')[:12]})", "",
           "Layers:",
           f"  {'#':>2}  {'SIZE':>8}  {'ADDED':>6}  {'CHANGED':>7}  {'REMOVED':>7}  "
           f"{'UNREACHABLE':>11}  CREATED BY"]
    for row in analysis.layers:
        c = row.changes
        out.append(f"  {row.index:>2}  {human_size(c.size):>8}  {c.added:>6}  {c.changed:>7}  "
                   f"{c.removed:>7}  {human_size(c.unreachable):>11}  "
                   f"{_one_line(row.created_by)}")
    percent = analysis.user_wasted_percent
    out += ["", "Image:",
            f"  Total size:            {human_size(analysis.size)}",
            f"  Reachable size:        {human_size(analysis.reachable_size)}",
            f"  Unreachable bytes:     {human_size(analysis.unreachable_bytes)}",
            f"  Wasted bytes (dive):   {analysis.wasted_bytes} "
            f"({human_size(analysis.wasted_bytes)})",
            f"  Wasted user percent:   "
            f"{f'{percent * 100:.4f} %' if math.isfinite(percent) else 'n/a'}",
            f"  Efficiency score:      {analysis.efficiency * 100:.4f} %"]
    if analysis.top_files:
        out += ["", "Largest files in more than one layer:",
                f"  {'COUNT':>5}  {'WASTED':>8}  PATH"]
        out += [f"  {c.layers:>5}  {human_size(c.cumulative_size):>8}  {c.path}"
                for c in analysis.top_files]
    out += ["", "Findings:" if analysis.findings else "Findings: none"]
    out += [line for f in analysis.findings for line in finding_lines(f)]
    return "\n".join(out) + "\n"


def finding_lines(f: Finding) -> list[str]:
    lines = [f"  [{f.kind}] layer {f.layer}: {f.message} ({human_size(f.size)})",
             f"      advice: {f.advice}"]
    if f.paths:
        lines.append(f"      e.g. {', '.join(f.paths[:3])}")
    return lines


def _one_line(text: str) -> str:
    text = " ".join(text.removeprefix("/bin/sh -c ").split())
    return text if len(text) <= 60 else text[:57] + "..."
