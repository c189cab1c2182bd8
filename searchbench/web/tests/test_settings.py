"""The settings module refuses what production must not run with, and the README stays current."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from searchbench import env
from searchbench.cases.management.commands.settings_doc import replace_section
from searchbench.env import settings_table_markdown

REPO = Path(__file__).resolve().parents[3]


def _import_settings(
    env: dict[str, str], tmp_path: Path, show: str = "s.DATABASES['default']['ENGINE']"
) -> subprocess.CompletedProcess[str]:
    """Import the settings with ``env`` and print ``show`` (``s`` is the settings module)."""
    # A fresh interpreter: settings are evaluated once per process, and without pytest loaded.
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("SEARCHBENCH_", "DATABASE_URL"))
    }
    clean.update({"SEARCHBENCH_DATA_DIR": str(tmp_path), **env})
    code = f"import searchbench.web.settings as s; print({show})"
    return subprocess.run(
        [sys.executable, "-c", code], env=clean, capture_output=True, text=True, cwd=tmp_path
    )


def test_production_needs_a_secret_key(tmp_path):
    result = _import_settings({}, tmp_path)
    assert result.returncode != 0
    assert "SEARCHBENCH_SECRET_KEY is not set" in result.stderr


def test_secret_key_file_and_sqlite_default(tmp_path):
    key = tmp_path / "key"
    key.write_text("from-a-file\n")
    result = _import_settings({"SEARCHBENCH_SECRET_KEY_FILE": str(key)}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.db.backends.sqlite3"


def test_a_bad_database_url_is_named(tmp_path):
    result = _import_settings(
        {"SEARCHBENCH_SECRET_KEY": "k", "DATABASE_URL": "mongodb://h/db"}, tmp_path
    )
    assert result.returncode != 0
    assert "unsupported scheme mongodb://" in result.stderr


def test_readme_settings_table_is_up_to_date():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert replace_section(readme, settings_table_markdown()) == readme, (
        "README.md's settings table is stale: run `searchbench manage settings_doc --write README.md`"
    )


def test_https_marks_cookies_secure_and_trusts_the_proxy_header(tmp_path):
    env = {"SEARCHBENCH_SECRET_KEY": "k", "SEARCHBENCH_HTTPS": "1"}
    show = "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_PROXY_SSL_HEADER"
    out = _import_settings(env, tmp_path, show)
    assert out.stdout.strip() == "True True ('HTTP_X_FORWARDED_PROTO', 'https')", out.stderr


def test_log_in_throttle_settings_come_from_the_environment(tmp_path):
    env = {
        "SEARCHBENCH_SECRET_KEY": "k",
        "SEARCHBENCH_LOGIN_FAILURE_LIMIT": "4",
        "SEARCHBENCH_LOGIN_COOLOFF_MINUTES": "90",
        "SEARCHBENCH_PROXY_COUNT": "1",
    }
    show = "s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME, s.SEARCHBENCH_PROXY_COUNT"
    out = _import_settings(env, tmp_path, show)
    assert out.stdout.strip() == "4 1:30:00 1", out.stderr


@pytest.mark.parametrize(
    "name, raw",
    [
        ("SEARCHBENCH_PROXY_COUNT", "-1"),
        ("SEARCHBENCH_LOGIN_FAILURE_LIMIT", "0"),
        ("SEARCHBENCH_LOGIN_COOLOFF_MINUTES", "0"),
    ],
)
def test_a_number_below_its_minimum_is_refused(name, raw):
    with pytest.raises(env.SettingError, match=f"{name}='{raw}': expected at least"):
        env.get(name, {name: raw})
