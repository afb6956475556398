"""owns: dive's efficiency model, reproduced figure for figure (wagoodman/dive
``filetree/efficiency.go`` and ``image/analysis.go``, dive 0.13), so that `scow image analyze`
and dive agree on an image's wasted bytes and efficiency.

dive builds one file tree per layer and visits each tree's leaves in name order. Every visit of
a path adds its size to the path's cumulative size (a whiteout adds the size of the folder it
removes, nothing for a removed file); a path visited in two or more layers is an inefficiency,
and the wasted bytes are the sum of those paths' cumulative sizes (the copy that is kept
included). Efficiency is Σ min(size seen) / Σ cumulative size over all paths. A layer's size is
the sum of its entries' sizes; the "user" size leaves the first layer out.

dive's quirks are kept on purpose: opaque-folder markers are ignored; folders named only as a
parent take an empty record (not a folder) when stacked; a whiteout whose target is absent below
ends the visit of the rest of its layer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import NamedTuple

from scow.analyze.entries import OPAQUE, WHITEOUT, Entry

_OPAQUE_PREFIX = OPAQUE[:8]  # ".wh..wh.": dive never adds these names


class _Info(NamedTuple):
    size: int = 0
    is_dir: bool = False


_EMPTY = _Info()


class _Node:
    __slots__ = ("children", "info", "name", "parent")

    def __init__(self, name: str, parent: _Node | None, info: _Info = _EMPTY) -> None:
        self.name = name
        self.parent = parent
        self.info = info
        self.children: dict[str, _Node] = {}

    def path(self) -> str:
        names: list[str] = []
        node: _Node | None = self
        while node is not None and node.parent is not None:
            names.append(node.name.removeprefix(WHITEOUT) if node is self else node.name)
            node = node.parent
        return "/" + "/".join(reversed(names))

    @property
    def is_whiteout(self) -> bool:
        return self.name.startswith(WHITEOUT)

    def walk(self, leaves_only: bool = False) -> Iterator[_Node]:
        """dive's VisitDepthChildFirst: children in name order, then the node (never the
        root)."""
        stack: list[tuple[_Node, bool]] = [(self, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded or not node.children:
                if node.parent is not None and (not leaves_only or not node.children):
                    yield node
                continue
            stack.append((node, True))
            for name in sorted(node.children, reverse=True):
                stack.append((node.children[name], False))

    def copy(self, parent: _Node | None = None) -> _Node:
        twin = _Node(self.name, parent, self.info)
        twin.children = {k: v.copy(twin) for k, v in self.children.items()}
        return twin


class Tree:
    """One layer's file tree (or a stack of them), as dive builds it."""

    def __init__(self) -> None:
        self.root = _Node("", None)
        self.file_size = 0

    @classmethod
    def of_layer(cls, layer: Sequence[Entry]) -> Tree:
        tree = cls()
        for entry in layer:
            tree.file_size += entry.size
            tree.add("/" + entry.path, _Info(entry.size, entry.is_dir))
        return tree

    def add(self, path: str, info: _Info) -> None:
        node = self.root
        names = [n for n in path.split("/") if n]
        for i, name in enumerate(names):
            child = node.children.get(name)
            if child is None:
                if name.startswith(_OPAQUE_PREFIX):
                    return
                child = node.children[name] = _Node(name, node)
            node = child
            if i == len(names) - 1:
                node.info = info

    def get(self, path: str) -> _Node | None:
        node = self.root
        for name in (n for n in path.split("/") if n):
            found = node.children.get(name)
            if found is None:
                return None
            node = found
        return node

    def stack(self, upper: Tree) -> None:
        for node in upper.root.walk():
            if node.is_whiteout:
                found = self.get(node.path())
                if found is not None and found.parent is not None:
                    del found.parent.children[found.name]
            else:
                self.add(node.path(), node.info)

    def copy(self) -> Tree:
        twin = Tree()
        twin.root = self.root.copy()
        twin.file_size = self.file_size
        return twin


class PathCost(NamedTuple):
    path: str  # "/usr/lib/x.so"
    layers: int  # how many layers name it
    cumulative_size: int


class Efficiency(NamedTuple):
    score: float
    inefficiencies: list[PathCost]  # ascending by cumulative size, as dive sorts them
    layer_sizes: list[int]

    @property
    def size(self) -> int:
        return sum(self.layer_sizes)

    @property
    def user_size(self) -> int:
        return sum(self.layer_sizes[1:])

    @property
    def wasted_bytes(self) -> int:
        return sum(p.cumulative_size for p in self.inefficiencies)

    @property
    def user_wasted_percent(self) -> float:
        """dive's wasted bytes / user size (a fraction; +inf or nan with no user layers)."""
        if self.user_size == 0:
            return float("inf") if self.wasted_bytes else float("nan")
        return self.wasted_bytes / self.user_size


class _PathData:
    __slots__ = ("count", "cumulative", "minimum")

    def __init__(self) -> None:
        self.count = 0
        self.cumulative = 0
        self.minimum = -1


def efficiency(layers: Sequence[Sequence[Entry]]) -> Efficiency:
    trees = [Tree.of_layer(layer) for layer in layers]
    data: dict[str, _PathData] = {}
    order: list[str] = []
    for index, tree in enumerate(trees):
        below = _stacked_below(trees, index)
        for node in tree.root.walk(leaves_only=True):
            size = _visit_size(node, below)
            if size is None:
                break  # dive: a whiteout of nothing ends this layer's visit
            path = node.path()
            entry = data.get(path)
            if entry is None:
                entry = data[path] = _PathData()
            entry.count += 1
            entry.cumulative += size
            if entry.minimum < 0 or size < entry.minimum:
                entry.minimum = size
            if entry.count == 2:
                order.append(path)
    minimum = sum(d.minimum for d in data.values())
    discovered = sum(d.cumulative for d in data.values())
    score = 1.0 if discovered == 0 else minimum / discovered
    costs = [PathCost(p, data[p].count, data[p].cumulative) for p in order]
    costs.sort(key=lambda c: c.cumulative_size)
    return Efficiency(score, costs, [t.file_size for t in trees])


def _stacked_below(trees: list[Tree], index: int) -> Callable[[], Tree]:
    """dive's StackTreeRange(trees, 0, index-1), built only if a whiteout asks for it."""
    cache: list[Tree] = []

    def build() -> Tree:
        if not cache:
            stacked = trees[0].copy()
            for tree in trees[:index]:
                stacked.stack(tree)
            cache.append(stacked)
        return cache[0]
    return build


def _visit_size(node: _Node, below: Callable[[], Tree]) -> int | None:
    if not node.is_whiteout:
        return node.info.size
    previous = below().get(node.path())
    if previous is None:
        return None
    if not previous.info.is_dir:
        return 0
    return sum(n.info.size for n in previous.walk())  # the folder itself included
