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
    """collectstatic into SEARCHBENCH_STATIC_ROOT; on a read-only root (an image whose files were
    collected at build time) the existing manifest is used as is."""
    from django.conf import settings
    from django.core.management import call_command

    try:
        call_command("collectstatic", interactive=False, verbosity=0)
    except OSError as exc:
        manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
        if not manifest.exists():
            raise
        echo(f"static files: using the collected ones in {settings.STATIC_ROOT} ({exc.strerror})")
