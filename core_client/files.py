"""Files that hold a deployment's data, created readable by their owner alone.

Core's SQLite database and the outbox hold players' messages, AI
conversations and encrypted credentials, so neither the file nor the folder
it is made in may be left world-readable by a permissive umask. Only what is
created here gets these modes: an operator's own folder keeps its own.
SQLite gives its -wal and -shm files the database file's permissions.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_file(path: str | Path) -> None:
    """Create `path` (and any missing folders above it) for its owner only, if missing."""
    path = Path(path)
    missing = [p for p in reversed(path.parents) if not p.exists()]
    for folder in missing:
        folder.mkdir(exist_ok=True)
        os.chmod(folder, DIR_MODE)  # mkdir's mode is cut by the umask; this is not
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, FILE_MODE))
        os.chmod(path, FILE_MODE)
