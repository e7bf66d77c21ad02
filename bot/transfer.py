"""`fumblebot export` / `import`: move a campaign between Cores as one JSON file.

Works on the configured database directly, as `migrate` does, so it needs no
running Core and no API key; the database must be migrated (`fumblebot
migrate upgrade`). An import is one transaction: it lands whole or not at all.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import TextIO

from bot.dbjob import run_job
from bot.errors import FumbleBotError
from storage import transfer

log = logging.getLogger(__name__)


def export(url: str, campaign: str, path: Path | None, out: TextIO | None = None) -> int:
    """Write the campaign's document to `path` (or stdout); return the exit status."""
    document = run_job(url, lambda session: transfer.export_campaign(session, campaign))
    text = json.dumps(document, ensure_ascii=False, indent=1) + "\n"
    if path is None:
        (out or sys.stdout).write(text)
    else:
        path.write_text(text, encoding="utf-8")
        counts = ", ".join(f"{len(rows)} {name}" for name, rows in document["tables"].items())
        (out or sys.stdout).write(f"exported {counts} to {path}\n")
    return 0


def import_(url: str, path: Path, out: TextIO | None = None) -> int:
    """Insert the campaign document at `path`; return the exit status."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise FumbleBotError(f"cannot read {path}: {exc}") from exc
    campaign = run_job(url, lambda session: transfer.import_campaign(session, document))
    (out or sys.stdout).write(f"imported campaign {campaign}\n")
    return 0
