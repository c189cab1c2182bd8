"""Root fixtures shared by every test suite."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from searchbench.testing import service_missing

REPO = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The read-only ../shared/data folder (trec_eval suite, Cranfield). Tests only."""
    path = Path(os.environ.get("SEARCHBENCH_SHARED_DATA", REPO.parent / "shared" / "data"))
    if not path.is_dir():
        service_missing(f"shared test data not found at {path} (set SEARCHBENCH_SHARED_DATA)")
    return path
