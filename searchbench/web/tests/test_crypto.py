from __future__ import annotations

import pytest

from searchbench.web import crypto
from searchbench.web.secretkey import persisted_secret_key, persisted_secret_key_path


def test_it_round_trips_and_never_stores_the_clear_text():
    token = crypto.encrypt("p@ss wörd", secret_key="k1")
    assert "p@ss" not in token
    assert crypto.decrypt(token, secret_key="k1") == "p@ss wörd"


def test_a_rotated_secret_key_gives_a_clear_error():
    token = crypto.encrypt("pw", secret_key="old")
    with pytest.raises(crypto.CredentialError, match="SEARCHBENCH_SECRET_KEY"):
        crypto.decrypt(token, secret_key="new")


def test_garbage_is_a_credential_error_not_a_crash():
    with pytest.raises(crypto.CredentialError):
        crypto.decrypt("not a token", secret_key="k")


def test_the_generated_key_is_persisted_private_and_stable(tmp_path):
    first = persisted_secret_key(tmp_path)
    assert len(first) >= 50
    assert persisted_secret_key(tmp_path) == first
    assert persisted_secret_key_path(tmp_path).stat().st_mode & 0o077 == 0
