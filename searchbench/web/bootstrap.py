"""Start Django from the CLI (demo, serve, manage) with searchbench's settings module."""

from __future__ import annotations

import os

SETTINGS_MODULE = "searchbench.web.settings"


def setup_django() -> None:
    # The process-wide switch Django itself reads; not a searchbench setting.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
    import django

    django.setup()
