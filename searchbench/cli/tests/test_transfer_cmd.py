"""`searchbench import` and `searchbench export` in their own processes, on a SQLite data
directory, with Quepid's Haystack case: the case comes back as it went in, a broken file exits 1
naming its line and changes nothing."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

from searchbench.cases.tests.conftest import quepid_files
from searchbench.testing import PRODUCTION_SETTINGS, child_env

__all__ = ["quepid_files"]  # the fixture, used below


def sb(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = child_env(
        PRODUCTION_SETTINGS,
        SEARCHBENCH_DATA_DIR=str(tmp_path / "data"),
        SEARCHBENCH_SECRET_KEY="test-key-for-the-cli-" + "x" * 40,
        DJANGO_SUPERUSER_PASSWORD="pw",
    )
    return subprocess.run(
        [sys.executable, "-m", "searchbench", *args],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_import_then_export_gives_the_case_back_and_a_broken_file_changes_nothing(
    tmp_path: Path, quepid_files: Path
) -> None:
    from searchbench.cases.tests.test_transfer import case_json_normalised

    with zipfile.ZipFile(quepid_files / "quepid-case" / "haystack_rating_party_case.json.zip") as z:
        original = z.read("haystack_rating_party_case.json").decode("utf-8")
    source = tmp_path / "haystack.json"
    source.write_text(original, encoding="utf-8")
    owner = json.loads(original)["owner_email"]
    assert sb(tmp_path, "manage", "migrate", "-v0").returncode == 0
    made = sb(
        tmp_path, "manage", "createsuperuser", "--noinput", "--username", "ep", "--email", owner
    )
    assert made.returncode == 0, made.stderr

    done = sb(tmp_path, "import", "quepid-case", str(source))
    assert done.returncode == 0, done.stderr
    assert "137 queries added" in done.stdout and "1679 ratings added" in done.stdout
    assert (
        "raters kept by e-mail (no user has it): charlie@flax.co.uk, eschramma@cas.org"
        in done.stdout
    )
    out = tmp_path / "out.json"
    done = sb(tmp_path, "export", "quepid-case", "--case", "Haystack Rating Party", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert out.read_text(encoding="utf-8") == case_json_normalised(original, None)

    ratings = quepid_files / "ratings-csv" / "haystack_rating_party_basic.csv"
    lines = ratings.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[3] = "120v power supply,2274126,7,extra\n"
    broken = tmp_path / "broken.csv"
    broken.write_text("".join(lines), encoding="utf-8")
    done = sb(tmp_path, "import", "ratings-csv", str(broken), "--case", "Haystack Rating Party")
    assert done.returncode == 1
    assert f"{broken}: line 4: expected 3 columns (query,docid,rating), found 4" in done.stderr
    done = sb(tmp_path, "export", "ratings-csv", "--case", "Haystack Rating Party")
    assert done.returncode == 0, done.stderr
    assert done.stdout == ratings.read_text(encoding="utf-8")  # nothing changed

    done = sb(tmp_path, "export", "trec-run", "--case", "Haystack Rating Party", "-o", "run.txt")
    assert done.returncode == 1
    assert "the case has no snapshot" in done.stderr
    assert not (tmp_path / "run.txt").exists()
    done = sb(tmp_path, "export", "ltr", "--case", "no such case")
    assert (done.returncode, done.stderr) == (
        2,
        "searchbench export: --case: no case 'no such case'\n",
    )
    # A quepid-case file always makes a new case: --case names it, even a name already taken.
    done = sb(tmp_path, "import", "quepid-case", str(source), "--case", "Haystack Rating Party")
    assert done.returncode == 0, done.stderr
    assert "case 'Haystack Rating Party' (id 2, new)" in done.stdout
