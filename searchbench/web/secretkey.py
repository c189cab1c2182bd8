"""A generated secret key persisted in the data directory, for the demo and the tests only.

Production must set SEARCHBENCH_SECRET_KEY (settings refuse to start without it when DEBUG is
off); this file exists so `searchbench demo` works on a fresh checkout and keeps sessions and
encrypted credentials valid across restarts, and so `searchbench manage` works in a data directory
the demo set up. Only the demo makes the file.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from searchbench import env

FILENAME = "secret_key"


def use_generated_secret_key(*, create: bool) -> None:
    """Without a configured key, hand the settings the data directory's generated one, through
    the registry's own ``SEARCHBENCH_SECRET_KEY_FILE``. ``create`` makes the key when there is none
    (the demo); otherwise only a key that is already there is used, so a production data
    directory, which never held one, still refuses to start without SEARCHBENCH_SECRET_KEY."""
    if env.get("SEARCHBENCH_SECRET_KEY"):
        return
    data_dir = env.data_dir()
    if create:
        path = persisted_secret_key_path(data_dir)
    elif (data_dir / FILENAME).is_file():
        path = data_dir / FILENAME
    else:
        return
    os.environ["SEARCHBENCH_SECRET_KEY_FILE"] = str(path)


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
