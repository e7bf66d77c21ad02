"""Lazily re-exporting packages export exactly what they declare, as the real objects."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from core_client.lazy import exported

LAZY = ["core_client", "bridge", "bot.ai.providers"]


@pytest.mark.parametrize("name", LAZY)
def test_every_export_resolves_to_its_module_object(name: str) -> None:
    package = importlib.import_module(name)
    assert set(exported(package.EXPORTS)) <= set(package.__all__)
    for attr in package.__all__:
        assert getattr(package, attr) is not None
    for module, names in package.EXPORTS.items():
        for attr in names:
            assert getattr(package, attr) is getattr(importlib.import_module(module), attr)


@pytest.mark.parametrize("name", LAZY)
def test_an_unknown_name_is_an_attribute_error(name: str) -> None:
    package = importlib.import_module(name)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        package.nope  # noqa: B018


def test_importing_the_package_imports_none_of_its_modules() -> None:
    # In a fresh interpreter: this one has imported everything already.
    code = "import sys, core_client; print('core_client.client' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
