"""Every end-to-end test gets its own data directory, whatever the caller's environment says."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _own_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEARCHBENCH_DATA_DIR", str(tmp_path / "searchbench-data"))
