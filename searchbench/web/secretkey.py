"""A generated secret key persisted in the data directory, for the demo and the tests only.

Production must set SEARCHBENCH_SECRET_KEY (settings refuse to start without it when DEBUG is
off); this file exists so `searchbench demo` works on a fresh checkout and keeps sessions and
encrypted credentials valid across restarts.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

FILENAME = "secret_key"


def persisted_secret_key_path(data_dir: Path) -> Path:
    """The path of the data directory's generated key, creating it (mode 0600) if missing."""
    path = data_dir / FILENAME
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two processes starting at once must not write two different keys.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(50))
    return path


def persisted_secret_key(data_dir: Path) -> str:
    return persisted_secret_key_path(data_dir).read_text().strip()
