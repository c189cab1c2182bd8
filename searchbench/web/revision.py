"""Which source revision is running: the image's SEARCHBENCH_REVISION, else the checkout's git HEAD."""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path

from searchbench import env

CHECKOUT = Path(__file__).resolve().parents[2]


@functools.cache
def revision() -> str:
    configured: str = env.get("SEARCHBENCH_REVISION")
    if configured.strip():
        return configured.strip()
    try:
        out = subprocess.run(
            ["git", "-C", str(CHECKOUT), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() or "unknown"
