"""Lazy re-exports for a package `__init__`, so importing a package costs only what is used.

A package lists what it re-exports, module by module, and sets
`__getattr__ = lazy_exports(__name__, EXPORTS)`; the same names are imported
under `if TYPE_CHECKING:` for the type checker. A test per package checks the
two agree (see tests/core_client/test_lazy.py).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, exports: Mapping[str, tuple[str, ...]]) -> Callable[[str], Any]:
    """Return a module `__getattr__` that imports each name's module on first use."""
    module_of = {name: module for module, names in exports.items() for name in names}
    # Importing `package.x` sets the package's attribute `x` to that module,
    # which would hide a lazily exported name `x` for good: refuse the clash.
    clashes = {m.rpartition(".")[2] for m in exports} & module_of.keys()
    if clashes:
        raise ValueError(
            f"{package} cannot lazily export {sorted(clashes)}: a submodule has the name"
        )

    def __getattr__(name: str) -> Any:
        module = module_of.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)  # later look-ups skip this function
        return value

    return __getattr__


def exported(exports: Mapping[str, tuple[str, ...]]) -> list[str]:
    """Return every name `exports` lists, for checking against `__all__`."""
    return sorted(name for names in exports.values() for name in names)
