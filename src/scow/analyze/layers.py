"""owns: what each layer does to the layers below it: files added, changed and removed, and
the bytes it makes unreachable (a lower file overwritten or deleted still ships in every pull),
found by stacking the layers' entries in order; also the image's reachable size.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from scow.analyze.entries import Entry


class LayerChanges(NamedTuple):
    size: int  # the sum of the layer's entries' sizes (dive's layer size)
    added: int
    changed: int
    removed: int
    unreachable: int  # bytes of lower layers this layer hides


class Mark(NamedTuple):
    change: str  # A added, M changed, D deleted (the size is what the deletion hides)
    path: str
    size: int


class Stack:
    """The merged view of the layers applied so far: path → (layer index, entry)."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[int, Entry]] = {}
        self._children: dict[str, set[str]] = {}  # folder path → paths of its entries
        # (layer, entry, lower layer, lower entry) for every lower file a layer rewrites
        self.overwrites: list[tuple[int, Entry, int, Entry]] = []
        # (layer, lower layer, lower entry) for every lower path a layer deletes
        self.deletions: list[tuple[int, int, Entry]] = []
        # per layer, in stream order: (A|M|D, path, size) — the layer tree the TUI shows
        self.marks: list[list[Mark]] = []

    def apply(self, index: int, layer: Sequence[Entry]) -> LayerChanges:
        added = changed = removed = unreachable = 0
        marks: list[Mark] = []
        self.marks.append(marks)
        for entry in layer:
            if entry.is_opaque:
                gone = self._remove(index, entry.path.rpartition("/")[0], keep_self=True)
                marks.append(Mark("D", entry.path.rpartition("/")[0] + "/*", 0))
            elif entry.is_whiteout:
                gone = self._remove(index, entry.target, keep_self=False)
                marks.append(Mark("D", entry.target, sum(e.size for _i, e in gone)))
            else:
                previous = self.files.get(entry.path)
                self._put(index, entry)
                changed_here = previous is not None and previous[0] != index
                marks.append(Mark("M" if changed_here else "A", entry.path, entry.size))
                if previous is None:
                    added += 1
                elif previous[0] != index:
                    changed += 1
                    unreachable += previous[1].size
                    self.overwrites.append((index, entry, *previous))
                continue
            removed += len(gone)
            unreachable += sum(e.size for _i, e in gone)
            self.deletions += [(index, i, e) for i, e in gone]
        size = sum(e.size for e in layer)
        return LayerChanges(size, added, changed, removed, unreachable)

    def _put(self, index: int, entry: Entry) -> None:
        if entry.path not in self.files:
            self._children.setdefault(entry.path.rpartition("/")[0], set()).add(entry.path)
        self.files[entry.path] = (index, entry)

    def _remove(self, index: int, path: str, *, keep_self: bool) -> list[tuple[int, Entry]]:
        """Remove what lower layers put at `path` and under it (the layer's own entries
        stay); the removed entries."""
        gone: list[tuple[int, Entry]] = []
        todo = [path] if not keep_self else list(self._children.get(path, ()))
        while todo:
            current = todo.pop()
            todo.extend(self._children.get(current, ()))
            found = self.files.get(current)
            if found is not None and found[0] != index:
                gone.append(self.files.pop(current))
                self._children.get(current.rpartition("/")[0], set()).discard(current)
        return gone

    @property
    def reachable_size(self) -> int:
        return sum(e.size for _i, e in self.files.values())


def layer_changes(layers: Sequence[Sequence[Entry]]) -> tuple[list[LayerChanges], Stack]:
    stack = Stack()
    return [stack.apply(i, layer) for i, layer in enumerate(layers)], stack
