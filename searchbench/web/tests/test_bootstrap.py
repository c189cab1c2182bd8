from __future__ import annotations

import errno
from unittest import mock

import pytest

from searchbench.web.bootstrap import collect_static

READ_ONLY = OSError(errno.EROFS, "Read-only file system")


def test_it_collects_into_the_static_root(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    collect_static()
    assert (tmp_path / "staticfiles.json").exists()
    assert list(tmp_path.glob("searchbench/app.*.css"))


def test_a_read_only_root_with_collected_files_is_used_as_is(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    (tmp_path / "staticfiles.json").write_text("{}")
    lines: list[str] = []
    with (
        mock.patch("searchbench.web.bootstrap.os.access", return_value=False),
        mock.patch("django.core.management.call_command", side_effect=READ_ONLY) as collect,
    ):
        collect_static(echo=lines.append)
    # Not even attempted: a failed collectstatic would leave a half-updated manifest behind.
    collect.assert_not_called()
    assert "using the collected ones" in lines[0] and "not writable" in lines[0]


def test_a_read_only_root_without_files_is_an_error(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    with (
        mock.patch("django.core.management.call_command", side_effect=READ_ONLY),
        pytest.raises(OSError),
    ):
        collect_static()
