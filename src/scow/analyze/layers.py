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


class Stack:
    """The merged view of the layers applied so far: path → (layer index, entry)."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[int, Entry]] = {}
        # (layer, entry, lower layer, lower entry) for every lower file a layer rewrites
        self.overwrites: list[tuple[int, Entry, int, Entry]] = []
        # (layer, lower layer, lower entry) for every lower path a layer deletes
        self.deletions: list[tuple[int, int, Entry]] = []

    def lower(self, path: str) -> tuple[int, Entry] | None:
        return self.files.get(path)

    def apply(self, index: int, layer: Sequence[Entry]) -> LayerChanges:
        added = changed = removed = unreachable = 0
        for entry in layer:
            if entry.is_opaque:
                gone = self._remove(index, entry.path.rpartition("/")[0], keep_self=True)
            elif entry.is_whiteout:
                gone = self._remove(index, entry.target, keep_self=False)
            else:
                previous = self.files.get(entry.path)
                self.files[entry.path] = (index, entry)
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

    def _remove(self, index: int, path: str, *, keep_self: bool) -> list[tuple[int, Entry]]:
        """Remove what lower layers put at `path` (and under it); the layer's own entries
        stay."""
        found = self.files.get(path)
        if not keep_self and found is not None and found[0] != index and not found[1].is_dir:
            return [self.files.pop(path)]
        prefix = f"{path}/" if path else ""
        doomed = [p for p, (i, _e) in self.files.items() if i != index and (
            p.startswith(prefix) or (p == path and not keep_self))]
        return [self.files.pop(p) for p in doomed]

    @property
    def reachable_size(self) -> int:
        return sum(e.size for _i, e in self.files.values())


def layer_changes(layers: Sequence[Sequence[Entry]]) -> tuple[list[LayerChanges], Stack]:
    stack = Stack()
    return [stack.apply(i, layer) for i, layer in enumerate(layers)], stack
