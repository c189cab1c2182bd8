"""Settings for the test suite: the production settings with what tests need changed.

pytest names this module (``--ds`` in pyproject.toml's ``[tool.pytest.ini_options]``), so a
process is a test process because it was started as one, never because something imported
pytest. A process a test starts (``searchbench worker``, ``demo``, ``serve``) names its settings
module in its own environment (``searchbench.testing.child_env``).
"""

from __future__ import annotations

import os

# The production settings refuse to load without a key; the tests' key signs nothing that lasts.
# Set before the import below reads it (the settings read the environment, through env.py).
os.environ.setdefault("SEARCHBENCH_SECRET_KEY", "searchbench-tests-only-not-a-secret")

from searchbench.web.settings import *  # noqa: E402, F403
from searchbench.web.settings import Q_CLUSTER  # noqa: E402

# Hashing cost is a production concern; tests create many users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Tasks run in the process that queues them; the worker tests start real workers, which load the
# production settings.
Q_CLUSTER = {**Q_CLUSTER, "sync": True}

# No collectstatic before tests: static files are served from the apps' static folders.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
