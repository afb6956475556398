"""owns: a port of Go's text/tabwriter (the elastic tabstops docker's tables go through).

A cell is text terminated by a tab; the text after a line's last tab is not a cell and is
never padded. Column widths are computed per column block (consecutive lines that have the
column): width = max(minwidth, widest cell + padding), cell width in runes (Go) or display columns
(docker/cli's fork, `display_width`). Text is held
until `flush`, or until a line with no tab ends (nothing after it can change its layout).
docker uses ``TabWriter(out, minwidth=10, tabwidth=1, padding=3, padchar=" ", flags=0)``.
Escapes (0xff) and FilterHTML are not supported.
"""

from __future__ import annotations

from collections.abc import Callable

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import TextIO

ALIGN_RIGHT = 4
DISCARD_EMPTY_COLUMNS = 8
TAB_INDENT = 16
DEBUG = 32


def rune_count(text: str) -> int:
    """Go's text/tabwriter cell width: the number of runes."""
    return len(text)


def display_width(text: str) -> int:
    """go-runewidth StringWidth (docker/cli's tabwriter fork): wide East Asian runes count 2,
    combining marks and zero-width joiners 0."""
    if text.isascii() or text.replace("\u2026", "").isascii():  # "…": docker's ellipsis
        return len(text)  # (East Asian Ambiguous: one column, as go-runewidth counts it)
    import unicodedata
    width = 0
    for ch in text:
        if unicodedata.combining(ch) or ch in "\u200b\u200c\u200d" or \
                unicodedata.category(ch) == "Cc":
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


class _Cell:
    __slots__ = ("text", "htab")

    def __init__(self, text: str, htab: bool) -> None:
        self.text, self.htab = text, htab


class TabWriter:
    def __init__(self, out: TextIO, minwidth: int = 10, tabwidth: int = 1, padding: int = 3,
                 padchar: str = " ", flags: int = 0,
                 width: Callable[[str], int] = rune_count) -> None:
        """`width` measures a cell: `rune_count` (Go) or `display_width` (docker/cli)."""
        if minwidth < 0 or tabwidth < 0 or padding < 0:
            raise ValueError("negative minwidth, tabwidth, or padding")
        self.out, self.minwidth, self.tabwidth = out, minwidth, tabwidth
        self.padding, self.padchar, self.flags = padding, padchar, flags
        self.width = width
        if padchar == "\t":  # tab padding enforces left-alignment
            self.flags &= ~ALIGN_RIGHT
        self._reset()

    def _reset(self) -> None:
        self.cell: list[str] = []
        self.lines: list[list[_Cell]] = [[]]
        self.widths: list[int] = []
        self.chunks: list[str] = []

    def write(self, text: str) -> int:
        start = 0
        for i, ch in enumerate(text):
            if ch not in "\t\v\n\f":
                continue
            self.cell.append(text[start:i])
            start = i + 1
            ncells = self._terminate_cell(ch == "\t")
            if ch in "\n\f":
                self.lines.append([])
                if ch == "\f" or ncells == 1:
                    self._flush_lines()
        self.cell.append(text[start:])
        return len(text)

    def _terminate_cell(self, htab: bool) -> int:
        line = self.lines[-1]
        line.append(_Cell("".join(self.cell), htab))
        self.cell = []
        return len(line)

    def flush(self) -> None:
        self._flush_lines()
        self.out.flush() if hasattr(self.out, "flush") else None

    def _flush_lines(self) -> None:
        if "".join(self.cell):
            self._terminate_cell(False)
        self._format(0, len(self.lines))
        self.out.write("".join(self.chunks))
        self._reset()

    def _format(self, line0: int, line1: int) -> None:
        column = len(self.widths)
        this = line0
        while this < line1:
            line = self.lines[this]
            if column >= len(line) - 1:
                this += 1
                continue
            self._write_lines(line0, this)
            line0 = this
            width, discardable = self.minwidth, True
            while this < line1:
                line = self.lines[this]
                if column >= len(line) - 1:
                    break
                cell = line[column]
                width = max(width, self.width(cell.text) + self.padding)
                if cell.text or cell.htab:
                    discardable = False
                this += 1
            if discardable and self.flags & DISCARD_EMPTY_COLUMNS:
                width = 0
            self.widths.append(width)
            self._format(line0, this)
            self.widths.pop()
            line0 = this
        self._write_lines(line0, line1)

    def _write_lines(self, line0: int, line1: int) -> None:
        chunks = self.chunks
        for i in range(line0, line1):
            use_tabs = bool(self.flags & TAB_INDENT)
            for j, cell in enumerate(self.lines[i]):
                if j > 0 and self.flags & DEBUG:
                    chunks.append("|")
                if not cell.text:
                    if j < len(self.widths):
                        self._pad(0, self.widths[j], use_tabs)
                    continue
                use_tabs = False
                textw = self.width(cell.text)
                if self.flags & ALIGN_RIGHT and j < len(self.widths):
                    self._pad(textw, self.widths[j], False)
                    chunks.append(cell.text)
                else:
                    chunks.append(cell.text)
                    if j < len(self.widths):
                        self._pad(textw, self.widths[j], False)
            if i + 1 == len(self.lines):
                chunks.append("".join(self.cell))  # the unterminated rest of the last line
                self.cell = []
            else:
                chunks.append("\n")

    def _pad(self, textw: int, cellw: int, use_tabs: bool) -> None:
        if self.padchar == "\t" or use_tabs:
            if self.tabwidth == 0:
                return
            cellw = (cellw + self.tabwidth - 1) // self.tabwidth * self.tabwidth
            n = cellw - textw
            self.chunks.append("\t" * ((n + self.tabwidth - 1) // self.tabwidth))
            return
        self.chunks.append(self.padchar * (cellw - textw))


def tabulate(text: str, minwidth: int = 10, tabwidth: int = 1, padding: int = 3,
             padchar: str = " ", flags: int = 0,
             width: Callable[[str], int] = rune_count) -> str:
    """Run `text` through a TabWriter and return the result (flushed)."""
    import io
    buf = io.StringIO()
    writer = TabWriter(buf, minwidth, tabwidth, padding, padchar, flags, width)
    writer.write(text)
    writer.flush()
    return buf.getvalue()
