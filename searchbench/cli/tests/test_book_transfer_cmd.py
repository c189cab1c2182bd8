"""`searchbench import`/`export` of books in their own processes, on a SQLite data directory,
with Quepid's Haystack book: it comes back as it went in; a broken file exits 1 naming its line
and changes nothing; a case option on a book format is a usage error (2)."""

from __future__ import annotations

import json
from pathlib import Path

from searchbench.cases.tests.conftest import quepid_files
from searchbench.cli.tests.test_transfer_cmd import sb

__all__ = ["quepid_files"]  # the fixture, used below


def test_a_book_goes_in_and_comes_back_out(tmp_path: Path, quepid_files: Path) -> None:
    source = quepid_files / "quepid-book" / "haystack_rating_party_book.json.zip"
    assert sb(tmp_path, "manage", "migrate", "-v0").returncode == 0
    made = sb(tmp_path, "manage", "createsuperuser", "--noinput", "--username", "ep",
              "--email", "epugh@opensourceconnections.com")  # fmt: skip
    assert made.returncode == 0, made.stderr

    done = sb(tmp_path, "import", "quepid-book", str(source))
    assert done.returncode == 0, done.stderr
    assert "book 'Haystack Icecat Rating Party' (id 1, new)" in done.stdout
    assert "2420 pairs added" in done.stdout and "1942 judgements added" in done.stdout
    assert "warning: the file names no scale" in done.stdout

    out = tmp_path / "book.json"
    done = sb(tmp_path, "export", "quepid-book", "Haystack Icecat Rating Party", "-o", str(out))
    assert done.returncode == 0, done.stderr
    exported = json.loads(out.read_text(encoding="utf-8"))
    assert len(exported["query_doc_pairs"]) == 2420
    done = sb(tmp_path, "import", "quepid-book", str(out), "--book", "again")
    assert done.returncode == 0, done.stderr
    assert "(id 2, new)" in done.stdout
    first = sb(tmp_path, "export", "judgements-csv", "1")
    second = sb(tmp_path, "export", "judgements-csv", "again")
    assert first.returncode == second.returncode == 0
    assert first.stdout == second.stdout
    assert first.stdout.count("\n") == 1 + 1942  # the header and every judgement

    broken = tmp_path / "broken.csv"
    broken.write_text("query,docid,rater,rating\nq,d,ann@x.org,1\nq,e,ann@x.org,9\n")
    done = sb(tmp_path, "import", "judgements-csv", str(broken), "--book", "1")
    assert done.returncode == 1
    assert f"{broken}: line 3: rating 9 is not on the book's scale (0, 1, 2, 3)" in done.stderr
    assert sb(tmp_path, "export", "judgements-csv", "1").stdout == first.stdout  # unchanged

    done = sb(tmp_path, "import", "judgements-csv", str(broken), "--case", "x")
    assert (done.returncode, done.stderr.strip()) == (
        2,
        "searchbench import: --case: judgements-csv goes into a book",
    )
    done = sb(tmp_path, "export", "quepid-book", "--case", "x")
    assert done.returncode == 2 and "exports a book: give BOOK" in done.stderr
    done = sb(tmp_path, "export", "quepid-book", "no such book")
    assert done.returncode == 2 and "no book 'no such book'" in done.stderr
