"""The template-free path for plain default tables prints exactly what the Go template
engine prints."""

from __future__ import annotations

import io

import pytest

from scow.cli.context import Context
from scow.cli.output import print_rows
from scow.format.docker import render_rows


class Row:
    __go_fields__ = ("ID", "Image", "Names", "Size")

    def __init__(self, i: int) -> None:
        self.ID, self.Image = f"{i:012x}", "acme/my-final-image:1.0" if i % 2 else "bb"
        self.Names, self.Size = f"my_container_{i}", f"{i}B (virtual 7.75MB)"


HEADERS = {"ID": "CONTAINER ID", "Image": "IMAGE", "Names": "NAMES", "Size": "SIZE"}


@pytest.mark.parametrize("fmt", [
    "table {{.ID}}\t{{.Image}}\t{{.Names}}\t{{.Size}}",
    "table {{.ID}}\\t{{.Image}}\\t{{.Names}}\\t{{.Size}}",
    "table {{.Names}}",
    "table {{.ID}}\t{{upper .Names}}",
    "{{.ID}} {{.Names}}",
])
def test_plain_tables_match_the_template_engine(fmt: str) -> None:
    rows = [Row(i) for i in range(1, 6)]
    ours = io.StringIO()
    print_rows(Context(root=None, storage_driver=None, runtime=None, debug=False, stdout=ours),
               fmt, rows, default=fmt, headers=HEADERS)
    theirs = io.StringIO()
    render_rows(fmt, rows, default_table=fmt, headers=HEADERS, out=theirs)
    assert ours.getvalue() == theirs.getvalue()
