"""Start Django from the CLI (demo, serve, manage) with searchbench's settings module."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

SETTINGS_MODULE = "searchbench.web.settings"


def setup_django() -> None:
    # The process-wide switch Django itself reads; not a searchbench setting.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
    import django

    django.setup()


def collect_static(echo: Callable[[str], None] = print) -> None:
    """collectstatic into SEARCHBENCH_STATIC_ROOT; a root we may not write to (an image whose
    files were collected at build time, on a read-only filesystem) is used as it is."""
    from django.conf import settings
    from django.core.management import call_command

    root = Path(settings.STATIC_ROOT)
    # Decide before collectstatic starts: a failed run leaves the storage's in-memory manifest
    # half-updated, and server workers forked afterwards would serve broken static URLs.
    if (root / "staticfiles.json").exists() and not os.access(root, os.W_OK):
        echo(f"static files: using the collected ones in {root} (not writable)")
        return
    call_command("collectstatic", interactive=False, verbosity=0)
