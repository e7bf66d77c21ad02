"""One way to walk a tree: a table from node type to handler, checked to be complete.

Every walk over the syntax tree (compiling, notation, bounds, statistics, the
advantage rewrite) and over the result tree (rendering) looks its handler up by the
node's exact type, as avrae's d20 does, instead of chains of `isinstance` tests. A
table that misses a node type fails when it is built, not on the first roll that
uses the missing type.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Generic, TypeVar

N = TypeVar("N")
R = TypeVar("R")


class Dispatch(Generic[N, R]):
    """Call the handler registered for `type(node)`; built once per walk."""

    __slots__ = ("_lookup",)

    def __init__(self, family: Iterable[type], table: Mapping[type, Callable[[Any], R]]) -> None:
        expected, given = set(family), set(table)
        if expected != given:
            missing = ", ".join(sorted(t.__name__ for t in expected - given)) or "none"
            extra = ", ".join(sorted(t.__name__ for t in given - expected)) or "none"
            raise TypeError(f"dispatch table mismatch: missing {missing}; unknown {extra}")
        self._lookup = dict(table).__getitem__

    def __call__(self, node: N) -> R:
        """Return the handler's answer for `node`."""
        return self._lookup(type(node))(node)
