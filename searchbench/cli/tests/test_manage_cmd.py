"""`searchbench manage` finds the key `searchbench demo` generated, and only that one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from searchbench.testing import PRODUCTION_SETTINGS, child_env


def manage(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`searchbench manage ARGS` in a fresh process, production-like: no key, no debug."""
    env = child_env(PRODUCTION_SETTINGS, SEARCHBENCH_DATA_DIR=str(tmp_path / "data"))
    return subprocess.run(
        [sys.executable, "-m", "searchbench", "manage", *args],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_uses_the_key_the_demo_generated_in_the_data_directory(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "secret_key").write_text("generated-by-the-demo\n")  # what `searchbench demo` leaves
    result = manage(tmp_path, "settings_doc")
    assert result.returncode == 0, result.stderr
    assert "SEARCHBENCH_SECRET_KEY" in result.stdout


def test_without_a_generated_key_it_stays_strict_and_makes_none(tmp_path: Path) -> None:
    result = manage(tmp_path, "settings_doc")
    assert result.returncode == 2
    assert "SEARCHBENCH_SECRET_KEY is not set" in result.stderr
    assert not (tmp_path / "data" / "secret_key").exists()
