"""The Roll20 extension ships inside the package, whole, and `fumblebot extension-path` finds it."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from bridge.assets import extension_dir
from tests.bot.test_cli import fumblebot
from tests.support.fumblebot_process import env_for

REPO = Path(__file__).parents[2]


def test_every_extension_file_is_package_data() -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    globs = pyproject["tool"]["setuptools"]["package-data"]["bridge"]
    bridge = REPO / "bridge"
    shipped = {p for g in globs for p in bridge.glob(g)}
    files = {p for p in (bridge / "extension").rglob("*") if p.is_file()}
    assert files, "no extension files found"
    assert files - shipped == set()  # a file missing here would be missing from the wheel


def test_every_file_the_manifest_names_exists() -> None:
    folder = extension_dir()
    manifest = json.loads((folder / "manifest.json").read_text())
    named = [
        manifest["background"]["service_worker"],
        manifest["options_ui"]["page"],
        manifest["action"]["default_popup"],
        *(js for script in manifest["content_scripts"] for js in script["js"]),
        *(r for war in manifest["web_accessible_resources"] for r in war["resources"]),
    ]
    assert [n for n in named if not (folder / n).is_file()] == []
    assert manifest["manifest_version"] == 3


async def test_extension_path_prints_the_folder_to_load_unpacked(tmp_path: Path) -> None:
    code, out, err = await fumblebot(["extension-path"], env_for(tmp_path))
    assert code == 0, err
    assert (Path(out.strip()) / "manifest.json").is_file()
