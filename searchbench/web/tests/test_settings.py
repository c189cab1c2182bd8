"""The settings module refuses what production must not run with, and the README stays current."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from searchbench import env
from searchbench.cases.management.commands.settings_doc import replace_section
from searchbench.env import settings_table_markdown
from searchbench.testing import PRODUCTION_SETTINGS, TEST_SETTINGS, child_env

REPO = Path(__file__).resolve().parents[3]


def _import_settings(
    env: dict[str, str], tmp_path: Path, show: str = "s.DATABASES['default']['ENGINE']"
) -> subprocess.CompletedProcess[str]:
    """Import the production settings with ``env`` and print ``show`` (``s`` is the module), in a
    process that has imported pytest: the settings must not care."""
    # A fresh interpreter: settings are evaluated once per process.
    clean = child_env(PRODUCTION_SETTINGS, SEARCHBENCH_DATA_DIR=str(tmp_path), **env)
    code = f"import pytest; import searchbench.web.settings as s; print({show})"
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


def test_importing_pytest_does_not_turn_production_settings_into_test_settings(tmp_path):
    # _import_settings imports pytest first: a script that imports a test helper (hence pytest)
    # still runs on production settings.
    show = "s.Q_CLUSTER.get('sync', False), getattr(s, 'PASSWORD_HASHERS', None), s.STORAGES"
    out = _import_settings({"SEARCHBENCH_SECRET_KEY": "k"}, tmp_path, show)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == (
        "False None {'default': {'BACKEND': "
        "'django.core.files.storage.FileSystemStorage'}, 'staticfiles': {'BACKEND': "
        "'whitenoise.storage.CompressedManifestStaticFilesStorage'}}"
    )


def test_the_suite_runs_on_the_test_settings_module_pyproject_names():
    from django.conf import settings

    assert settings.SETTINGS_MODULE == TEST_SETTINGS
    assert settings.Q_CLUSTER["sync"] is True
    assert settings.PASSWORD_HASHERS == ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_product_code_never_asks_whether_it_runs_under_a_test_runner():
    """Behaviour switched on ``"pytest" in sys.modules`` was a test settings module in disguise."""
    package = REPO / "searchbench"
    for path in package.rglob("*.py"):
        relative = path.relative_to(package)
        if "tests" in relative.parts or path.name.startswith("test") or path.name == "conftest.py":
            continue  # test code (testing.py included)
        text = path.read_text(encoding="utf-8")
        assert "sys.modules" not in text, f"{relative} looks at sys.modules"
        assert "import pytest" not in text, f"{relative} imports pytest"
