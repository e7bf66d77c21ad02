"""`fumblebot migrate` and the `alembic` command line work on the configured database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from storage import db

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FUMBLEBOT_PATHS_DATA_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)  # no ./config.toml
    return tmp_path


def _migrate(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["migrate", *args]) == 0
    return capsys.readouterr().out


def test_migrate_upgrades_downgrades_and_reports_the_revision(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    head = db.head_revision()
    assert _migrate(capsys, "current") == f"database at revision <base> (head is {head})\n"
    assert _migrate(capsys, "upgrade") == f"database at revision {head} (head)\n"
    assert (data_dir / "core.sqlite3").is_file()
    assert _migrate(capsys, "downgrade", "0001") == f"database at revision 0001 (head is {head})\n"
    assert _migrate(capsys, "upgrade", "0002") == f"database at revision 0002 (head is {head})\n"
    assert _migrate(capsys, "upgrade") == f"database at revision {head} (head)\n"


def test_migrate_history_lists_every_shipped_revision(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = _migrate(capsys, "history").splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "0005 -> 0006",
        "0004 -> 0005",
        "0003 -> 0004",
        "0002 -> 0003",
        "0001 -> 0002",
        "<base> -> 0001",
    ]
    assert not (data_dir / "core.sqlite3").exists()  # history needs no database


def test_a_revision_that_does_not_exist_is_one_line(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate", "upgrade"]) == 0
    assert main(["migrate", "downgrade", "0009"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("fumblebot: could not downgrade the database")
    assert "0009" in err
    assert "Traceback" not in err


def _alembic(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "alembic", "-c", "storage/alembic.ini", *args],
        cwd=REPO,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
    )


def test_the_alembic_command_line_works_from_the_repository(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/core.sqlite3"
    upgraded = _alembic("-x", f"url={url}", "upgrade", "head")
    assert upgraded.returncode == 0, upgraded.stderr
    current = _alembic("current", env={"FUMBLEBOT_CORE_DATABASE_URL": url})
    assert current.stdout.strip() == f"{db.head_revision()} (head)", current.stderr
    nowhere = _alembic("current", env={"FUMBLEBOT_CORE_DATABASE_URL": ""})
    assert nowhere.returncode != 0
    assert "-x url=" in nowhere.stderr
