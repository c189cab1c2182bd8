"""Where the engines that keep data on disk (local indexes, static results) store it, and the
names they accept: one folder per kind under the data directory, one safe name per item."""

from __future__ import annotations

import re
from pathlib import Path

from searchbench import env

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
NAME_RULE = "use letters, digits, '.', '_' or '-' (up to 64, starting with a letter or digit)"


def store_dir(folder: str, data_dir: Path | None = None) -> Path:
    """``<data dir>/<folder>``, created if missing."""
    base = data_dir if data_dir is not None else env.data_dir()
    path = Path(base) / folder
    path.mkdir(parents=True, exist_ok=True)
    return path


def store_name(url_or_name: str, scheme: str) -> str | None:
    """``SCHEME://name`` or ``name`` → ``name``; None for a name that could escape the folder."""
    name = url_or_name.removeprefix(f"{scheme}://").strip().strip("/")
    return name if _NAME.fullmatch(name) else None
