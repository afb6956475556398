"""Go's text/tabwriter semantics, with docker's parameters and Go's documented examples."""

from __future__ import annotations

import io

from scow.format.tabwriter import ALIGN_RIGHT, DEBUG, TabWriter, display_width, tabulate


def docker(text: str) -> str:
    return tabulate(text, 10, 1, 3, " ", 0)


def test_docker_column_is_max_of_minwidth_and_widest_plus_padding() -> None:
    out = docker("REPOSITORY\tTAG\tIMAGE ID\nbusybox\tlatest\t1a2b\n")
    assert out.splitlines() == [
        "REPOSITORY   TAG       IMAGE ID",  # TAG: widest 6 → max(6+3, 10) = 10
        "busybox      latest    1a2b",
    ]


def test_text_after_the_last_tab_is_not_padded() -> None:
    assert docker("a\tb\n") == "a         b\n"
    assert docker("a\tb\t\n") == "a         b         \n"


def test_widths_are_per_column_block() -> None:
    out = docker("aaaaaaaaaaaaaa\tx\nno tabs\nb\ty\n")
    assert out.splitlines() == ["aaaaaaaaaaaaaa   x", "no tabs", "b         y"]


def test_a_longer_line_opens_a_nested_block() -> None:
    out = tabulate("a\tb\tc\naa\tbbbbbbbbbbbbbb\tc\na\tb\n", 0, 1, 1, ".", 0)
    assert out.splitlines() == ["a..b..............c", "aa.bbbbbbbbbbbbbb.c", "a..b"]


def test_go_example_tab_padding() -> None:
    out = tabulate("a\tb\tc\td\t.\n123\t12345\t1234567\t123456789\t.\n", 0, 8, 0, "\t", 0)
    assert out == "a\tb\tc\td\t\t.\n123\t12345\t1234567\t123456789\t.\n"


def test_go_example_align_right() -> None:
    out = tabulate("a\tb\tc\td\t.\n123\t12345\t1234567\t123456789\t.\n", 5, 0, 1, " ",
                   ALIGN_RIGHT)
    assert out == "    a     b       c         d.\n  123 12345 1234567 123456789.\n"


def test_debug_bars() -> None:
    assert tabulate("a\tb\tc\n", 0, 1, 1, " ", DEBUG) == "a |b |c\n"


def test_width_counts_runes_or_display_columns() -> None:
    assert tabulate("日本\tx\nab\ty\n", 0, 1, 1, " ", 0) == "日本 x\nab y\n"
    wide = tabulate("日本\tx\nab\ty\n", 0, 1, 1, " ", 0, display_width)
    assert wide == "日本 x\nab   y\n"
    assert display_width("e\u0301") == 1


def test_buffers_until_flush_and_flushes_on_untabbed_lines() -> None:
    buf = io.StringIO()
    w = TabWriter(buf, 10, 1, 3, " ", 0)
    w.write("a\tb\n")
    assert buf.getvalue() == ""  # a later line could widen column 0
    w.write("plain line\n")
    assert buf.getvalue() == "a         b\nplain line\n"
    w.write("tail without newline")
    w.flush()
    assert buf.getvalue().endswith("tail without newline")
