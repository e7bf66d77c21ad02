"""Where the files the bridge ships for browsers live inside the installed package.

The Roll20 extension (`bridge/extension/`) is package data, so a player who
installed FumbleBot can load it unpacked in Chromium from this folder
(`fumblebot extension-path` prints it), and the browser tests load the very
same files.
"""

from __future__ import annotations

from pathlib import Path


def extension_dir() -> Path:
    """Return the folder of the unpacked Roll20 extension (its manifest.json is inside)."""
    return Path(__file__).resolve().parent / "extension"
