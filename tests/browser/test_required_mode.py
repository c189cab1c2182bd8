"""In CI (SEARCHBENCH_REQUIRE_SERVICES=1) the browser suite cannot pass by skipping: a missing
Chromium or an unreachable axe-core fails; on a laptop both skip with the reason."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest

from searchbench import testing
from tests.browser import axe


@pytest.fixture
def no_chromium(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(testing, "CHROMIUM", "/nonexistent/chromium")
    monkeypatch.setattr(testing.shutil, "which", lambda _name: None)


def test_a_missing_chromium_fails_in_ci(no_chromium, monkeypatch):
    monkeypatch.setenv(testing.REQUIRE_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match="Chromium not installed"):
        testing.chromium_path()


def test_a_missing_chromium_skips_on_a_laptop(no_chromium, monkeypatch):
    monkeypatch.delenv(testing.REQUIRE_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match="Chromium not installed"):
        testing.chromium_path()


def test_chromium_on_the_path_is_the_one_launched(monkeypatch, tmp_path: Path):
    elsewhere = tmp_path / "chromium"
    monkeypatch.setattr(testing, "CHROMIUM", "/nonexistent/chromium")
    monkeypatch.setattr(testing.shutil, "which", lambda _name: str(elsewhere))
    assert testing.chromium_path() == str(elsewhere)


def test_axe_core_out_of_reach_fails_in_ci(monkeypatch, tmp_path: Path):
    def offline(*_args, **_kwargs):
        raise OSError("Network is unreachable")

    monkeypatch.setattr(axe, "CACHE", tmp_path)
    monkeypatch.setattr(urllib.request, "urlopen", offline)
    monkeypatch.setenv(testing.REQUIRE_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match="axe-core .* could not be fetched"):
        axe.axe_source()
    assert list(tmp_path.iterdir()) == []  # nothing half-written into the cache
