"""Import and export on Quepid's real files (../shared/data/quepid_files, see its README): every
file imports, exports back to what was imported (byte for byte, or with the normalisation named
in its row), and round-trips through a fresh case unchanged; a copy with one broken line fails
naming that line and stores nothing."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

HAYSTACK_OWNER = "epugh@opensourceconnections.com"
HAYSTACK_RATERS = {HAYSTACK_OWNER: 1670, "charlie@flax.co.uk": 8, "eschramma@cas.org": 1}


def counts() -> dict[str, int]:
    from searchbench.cases.models import (
        Case,
        Query,
        Rating,
        SearchEndpoint,
        Snapshot,
        SnapshotDoc,
        SnapshotQuery,
        Try,
    )

    models = (Case, Query, Rating, SearchEndpoint, Try, Snapshot, SnapshotQuery, SnapshotDoc)
    return {m.__name__: m.objects.count() for m in models}


# --- what each real file exports back to ------------------------------------------------------


def same(original: str, _case: Any) -> str:
    return original


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def case_json_normalised(original: str, _case: Any) -> str:
    """Quepid's shipped Haystack file, as searchbench writes the same case: its JSON (trailing
    spaces after "archived", a final newline) rewritten as 2-space JSON without a final newline;
    ``arranged_at``/``arranged_next`` (Quepid's linked-list order keys) become positions 1..n and
    null; the endpoint's ``custom_headers: ""`` becomes null and the keys Quepid's current export
    writes but this older file lacks (``requests_per_minute`` 0, ``test_query`` null) are added."""
    doc = json.loads(original)
    for i, query in enumerate(doc["queries"], start=1):
        query["arranged_at"], query["arranged_next"] = i, None
    endpoint = doc["try"]["search_endpoint"]
    endpoint["custom_headers"] = endpoint["custom_headers"] or None
    options = endpoint.pop("options")
    endpoint["requests_per_minute"] = endpoint.get("requests_per_minute", 0)
    endpoint["test_query"] = endpoint.get("test_query")
    endpoint["options"] = options
    return json.dumps(doc, indent=2, ensure_ascii=False)


def drop_final_blank_line(original: str, _case: Any) -> str:
    """Quepid's information-needs template renders an empty last line; searchbench does not."""
    assert original.endswith("\n\n")
    return original[:-1]


def csv_rewritten(original: str, _case: Any) -> str:
    """The same cells written by Python's csv module (quotes only where needed, LF line ends, a
    final newline): the example quotes a cell needlessly and has no final newline."""
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows(csv_rows(original))
    return out.getvalue()


def unrated_doc_dropped(original: str, case: Any) -> str:
    """``star wars,3557771,`` (a doc without a rating) is skipped on import, as Quepid skips it;
    the rest rewritten with a final newline."""
    kept = [row for row in csv_rows(original) if not (row[1] and not row[2])]
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows(kept)
    return out.getvalue()


def rre_export_shape(original: str, _case: Any) -> str:
    """The import shape ``{grade: [docids]}`` is written in the export shape ``{docid: {"gain":
    g}}`` (numeric doc ids ascending, as JavaScript orders keys), 2-space JSON."""
    doc = json.loads(original)
    for query in doc["queries"]:
        gains = {
            d: {"gain": int(g)} for g, docs in query["relevant_documents"].items() for d in docs
        }
        query["relevant_documents"] = {k: gains[k] for k in sorted(gains, key=int)}
    return json.dumps(doc, indent=2)


def snapshot_case_id(original: str, case: Any) -> str:
    """The Case ID column names the case it is exported from (the file's stand-in 1 becomes the
    importing case's id); everything else byte for byte, CRLF included."""
    assert with_case_id(original, 1) == original  # the writer below changes nothing else
    return with_case_id(original, case.pk)


def with_case_id(text: str, pk: int) -> str:
    rows = csv_rows(text)
    for row in rows[1:]:
        row[2] = str(pk)
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def snapshot_example(original: str, case: Any) -> str:
    """Quepid's dialog example: times ``10/10/18 18:05`` become ISO 8601 UTC with milliseconds,
    rows are grouped by snapshot (the last row belongs to "Legacy Search", so it moves up, and
    keeps that snapshot's first time), the Case ID is the importing case's, CRLF line ends."""
    rows = csv_rows(original)
    header, body = rows[0], rows[1:]
    first_time: dict[str, str] = {}
    for row in body:
        first_time.setdefault(row[0], row[1])
    iso = {
        "10/10/18 18:05": "2018-10-10T18:05:00.000Z",
        "10/15/18 18:05": "2018-10-15T18:05:00.000Z",
    }
    order = list(first_time)
    body.sort(key=lambda row: order.index(row[0]))  # stable: file order within a snapshot
    for row in body:
        row[1], row[2] = iso[first_time[row[0]]], str(case.pk)
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows([header, *body])
    return out.getvalue()


@dataclass
class Sample:
    format: str
    file: str
    queries: int
    ratings: int
    expected: Callable[[str, Any], str]
    snapshots: int = 0


SAMPLES = [
    Sample("quepid-case", "fixture_queries_case.json", 5, 2, same),
    Sample("ratings-csv", "haystack_rating_party_basic.csv", 137, 1679, same),
    Sample("ratings-csv", "export_test_comma_query.csv", 2, 0, same),
    Sample("ratings-csv", "import_dialog_example.csv", 2, 1, unrated_doc_dropped),
    Sample("rre", "haystack_rating_party_rre.json", 137, 1679, same),
    Sample("rre", "mock_rre_json.json", 2, 6, rre_export_shape),
    Sample("ltr", "haystack_rating_party_ltr.txt", 137, 1679, same),
    Sample("trec-qrels", "haystack_rating_party_trec.txt", 137, 1679, same),
    Sample("snapshot-csv", "haystack_vector-2_snapshot.csv", 0, 0, snapshot_case_id, 1),
    Sample("snapshot-csv", "import_dialog_example.csv", 0, 0, snapshot_example, 2),
    Sample(
        "information-needs",
        "haystack_rating_party_information_need.csv",
        137,
        0,
        drop_final_blank_line,
    ),
    Sample("information-needs", "import_dialog_example.csv", 1, 0, csv_rewritten),
    Sample("information-needs", "spec_tatooine.csv", 1, 0, same),
]


def _import(fmt: str, source: Any, user: Any, case: Any) -> Any:
    from searchbench.cases import transfer

    return transfer.import_into(fmt, source, user=user, case=case)


@pytest.mark.django_db
@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: f"{s.format}/{s.file}")
def test_it_exports_each_real_file_back_and_round_trips_through_a_fresh_case(
    sample: Sample, quepid_files: Path, owner: Any
) -> None:
    from searchbench.cases import transfer
    from searchbench.cases.models import Rating

    path = quepid_files / sample.format / sample.file
    original = path.read_bytes().decode("utf-8")
    name = f"imported {sample.file}"
    if sample.format == "quepid-case":
        # The case's owner_email is its owner's in searchbench: the user is the file's owner.
        owner.email = json.loads(original)["owner_email"]
        owner.save()
        name = None
    report = _import(sample.format, path, owner, name)
    case = report.case
    assert case.queries.count() == sample.queries
    assert Rating.objects.filter(query__case=case).count() == sample.ratings
    assert case.snapshots.count() == sample.snapshots
    exported = transfer.export_text(sample.format, case)
    assert exported == sample.expected(original, case)

    fresh = None if sample.format == "quepid-case" else "fresh"
    again = _import(sample.format, io.BytesIO(exported.encode()), owner, fresh).case
    assert again.pk != case.pk
    second = transfer.export_text(sample.format, again)
    if sample.format == "snapshot-csv":  # the Case ID column names the case exported
        second = with_case_id(second, case.pk)
    assert second == exported


@pytest.mark.django_db
def test_the_haystack_case_imports_with_its_raters_kept_and_exports_back(
    haystack_case: Path, owner: Any
) -> None:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from searchbench.cases import transfer
    from searchbench.cases.models import Rating

    before = get_user_model().objects.count()
    report = _import("quepid-case", haystack_case, owner, None)
    case = report.case
    assert (case.name, case.scorer.name, case.public) == (
        "Haystack Rating Party",
        "quepid:nDCG@10",
        True,
    )
    assert case.queries.count() == 137
    ratings = Rating.objects.filter(query__case=case)
    assert ratings.count() == 1679
    raters: dict[str, int] = {}
    for rating in ratings.select_related("rated_by"):
        email = rating.rated_by.email if rating.rated_by else rating.rater_email
        raters[email] = raters.get(email, 0) + 1
    assert raters == HAYSTACK_RATERS
    # The owner's e-mail is a user's: those ratings are hers; the two others keep their e-mail.
    assert ratings.filter(rated_by=owner).count() == 1670
    assert report.raters_kept_by_email == ["charlie@flax.co.uk", "eschramma@cas.org"]
    assert get_user_model().objects.count() == before  # nobody's account was made up
    newest = ratings.order_by("-rated_at").first().rated_at
    assert newest.tzinfo and abs((timezone.now() - newest).total_seconds()) < 60
    tried = case.current_try()
    assert tried.name == "Try 12"
    assert tried.query_template == "q=#$query##&useParams=querqy_match_by_txt_emb\n&tie=0.0"
    assert tried.endpoint.url == "http://chorus.dev.o19s.com:8983/solr/ecommerce/select"
    notes = dict(case.queries.exclude(notes="").values_list("text", "notes"))
    assert list(notes) == ["switch"]
    assert case.queries.exclude(information_need="").count() == 2

    exported = transfer.export_text("quepid-case", case)
    original = haystack_case.read_text(encoding="utf-8")
    assert exported == case_json_normalised(original, case)
    again = _import("quepid-case", io.BytesIO(exported.encode()), owner, None).case
    assert again.pk != case.pk
    assert transfer.export_text("quepid-case", again) == exported


@pytest.mark.django_db
def test_the_haystack_ratings_export_in_every_ratings_format_from_the_case(
    haystack_case: Path, quepid_files: Path, owner: Any
) -> None:
    """The case imported from Quepid's case JSON exports the same ratings CSV, RRE and
    information needs Quepid exported from it; LTR and TREC once the case has their qids."""
    from searchbench.cases import transfer

    case = _import("quepid-case", haystack_case, owner, None).case
    for fmt, name in [
        ("ratings-csv", "haystack_rating_party_basic.csv"),
        ("information-needs", "haystack_rating_party_information_need.csv"),
    ]:
        original = (quepid_files / fmt / name).read_text(encoding="utf-8")
        expected = original[:-1] if fmt == "information-needs" else original
        assert transfer.export_text(fmt, case) == expected
    # RRE's id_field and index come from the try, as Quepid derives them (id:id, …/ecommerce/…).
    rre = (quepid_files / "rre" / "haystack_rating_party_rre.json").read_text(encoding="utf-8")
    assert transfer.export_text("rre", case) == rre
    # LTR gives each query its Quepid id; the TREC file then matches by that id.
    # LTR gives each query its Quepid id; the TREC file then matches by that id. Quepid writes
    # both in the order of its query ids, searchbench in the case's order: sorted to compare.
    ltr = quepid_files / "ltr" / "haystack_rating_party_ltr.txt"
    report = _import("ltr", ltr, owner, case)
    assert (report.queries_added, report.queries_updated, report.ratings_added) == (0, 137, 0)
    trec = quepid_files / "trec-qrels" / "haystack_rating_party_trec.txt"
    for fmt, path, column in (("ltr", ltr, 1), ("trec-qrels", trec, 0)):
        lines = transfer.export_text(fmt, case).splitlines(keepends=True)
        lines.sort(key=lambda line: line.split()[column])  # stable: ratings keep their order
        assert "".join(lines) == path.read_text(encoding="utf-8")


# --- malformed copies --------------------------------------------------------------------------


BROKEN = [
    # (format, file, line to break (1-based), replacement, expected "where", reason fragment)
    (
        "ratings-csv",
        "haystack_rating_party_basic.csv",
        5,
        "120v power supply,499178,high",
        "line 5",
        "not a number",
    ),
    ("ratings-csv", "haystack_rating_party_basic.csv", 1, "query,doc,rating", "line 1", "header"),
    (
        "information-needs",
        "haystack_rating_party_information_need.csv",
        4,
        "a,b,c",
        "line 4",
        "2 columns",
    ),
    (
        "ltr",
        "haystack_rating_party_ltr.txt",
        7,
        "3 qid:205277 1069226 projector screen",
        "line 7",
        "rating qid:N",
    ),
    (
        "trec-qrels",
        "haystack_rating_party_trec.txt",
        9,
        "205277 0 254441 x",
        "line 9",
        "not an integer",
    ),
    ("snapshot-csv", "haystack_vector-2_snapshot.csv", 3, None, "line 3", "Doc Position"),
    (
        "rre",
        "haystack_rating_party_rre.json",
        12,
        '          "gain": "high"',
        'queries[0].relevant_documents["108148"]',
        "gain",
    ),
    ("rre", "mock_rre_json.json", 11, '          "193",,', "line 11", "not JSON"),
    (
        "quepid-case",
        "fixture_queries_case.json",
        34,
        '          "rating": "three"',
        "queries[1].ratings[0].rating",
        "expected int/float",
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fmt,name,line,replacement,where,reason", BROKEN, ids=lambda v: str(v)[:30]
)
def test_a_file_with_one_broken_line_names_it_and_imports_nothing(
    fmt: str,
    name: str,
    line: int,
    replacement: str | None,
    where: str,
    reason: str,
    quepid_files: Path,
    owner: Any,
    tmp_path: Path,
) -> None:
    from searchbench.cases import transfer
    from searchbench.cases.models import Case

    lines = (quepid_files / fmt / name).read_bytes().decode("utf-8").splitlines(keepends=True)
    if replacement is None:  # the snapshot: its sixth column
        cells = lines[line - 1].split(",")
        cells[5] = "first"
        lines[line - 1] = ",".join(cells)
    else:
        ending = lines[line - 1][len(lines[line - 1].rstrip("\r\n")) :]
        lines[line - 1] = replacement + ending
    broken = tmp_path / name
    broken.write_text("".join(lines), encoding="utf-8", newline="")
    existing = Case.objects.create(name="existing", owner=owner, scorer=_scorer("quepid:nDCG@10"))
    before = counts()
    for target in ("new case", existing):
        with pytest.raises(transfer.TransferError) as info:
            if fmt == "quepid-case" and target == existing:
                target = "another new case"
            _import(fmt, broken, owner, target)
        assert any(w == where and reason in why for w, why in info.value.problems), info.value
        assert f"{broken}: {where}: " in str(info.value)
        assert counts() == before


def _scorer(name: str) -> Any:
    from searchbench.cases.models import Scorer

    return Scorer.objects.get(name=name)


@pytest.mark.django_db
def test_a_problem_found_while_storing_rolls_back_the_new_case_and_everything_else(
    quepid_files: Path, owner: Any, tmp_path: Path
) -> None:
    """A doc id too long for the database and a scorer nobody has are only found while storing:
    the case, its try, endpoint, queries and the ratings stored before them all roll back."""
    from searchbench.cases import transfer

    text = (quepid_files / "quepid-case" / "fixture_queries_case.json").read_text()
    broken = tmp_path / "case.json"
    long_id = "d" * 300
    broken.write_text(
        text.replace('"doc_id": "docb"', f'"doc_id": "{long_id}"').replace("AP@10", "XP@10")
    )
    before = counts()
    with pytest.raises(transfer.TransferError) as info:
        _import("quepid-case", broken, owner, None)
    assert info.value.problems == [
        ("scorer.name", "no scorer named 'XP@10' that you may use"),
        ("queries[1].ratings[1]", "doc id is longer than 255 characters"),
    ]
    assert counts() == before


@pytest.mark.django_db
def test_ratings_off_the_scorers_scale_are_kept_with_a_warning(
    quepid_files: Path, owner: Any
) -> None:
    """Quepid's fixture rates 3 under AP@10 (scale 0-1 here): kept as the file has it."""
    report = _import(
        "quepid-case", quepid_files / "quepid-case" / "fixture_queries_case.json", owner, None
    )
    assert report.off_scale == 1
    assert report.warnings == [
        "1 rating(s) are not on scorer quepid:AP@10's scale (0, 1); kept as the file has them"
    ]


@pytest.mark.django_db
def test_only_a_writer_of_the_case_may_import_into_it(quepid_files: Path, owner: Any) -> None:
    from django.contrib.auth import get_user_model

    from searchbench.cases import transfer
    from searchbench.cases.models import Case

    case = Case.objects.create(name="mine", owner=owner, scorer=_scorer("quepid:nDCG@10"))
    outsider = get_user_model().objects.create_user("oscar", "oscar@example.com", "pw")
    before = counts()
    with pytest.raises(transfer.TransferError, match="you may not change case 'mine'"):
        _import(
            "ratings-csv",
            quepid_files / "ratings-csv" / "haystack_rating_party_basic.csv",
            outsider,
            case,
        )
    assert counts() == before


@pytest.mark.django_db
def test_a_rating_set_in_the_app_replaces_the_imported_raters_email(
    haystack_case: Path, owner: Any
) -> None:
    from django.contrib.auth import get_user_model

    from searchbench.cases import services
    from searchbench.cases.models import Rating

    case = _import("quepid-case", haystack_case, owner, None).case
    rating = Rating.objects.get(query__case=case, rater_email="eschramma@cas.org")
    someone = get_user_model().objects.create_user("sam", "sam@example.com", "pw")
    services.rate_doc(rating.query, rating.doc_id, 2, user=someone)
    rating.refresh_from_db()
    assert (rating.rated_by, rating.rater_email, rating.rating) == (someone, "", 2.0)


@pytest.mark.django_db
def test_importing_the_same_file_again_changes_nothing(quepid_files: Path, owner: Any) -> None:
    path = quepid_files / "ltr" / "haystack_rating_party_ltr.txt"
    case = _import("ltr", path, owner, "ltr").case
    report = _import("ltr", path, owner, case)
    assert (report.queries_added, report.ratings_added, report.ratings_changed) == (0, 0, 0)
    assert case.queries.count() == 137


@pytest.mark.django_db
def test_a_qid_and_a_text_naming_the_same_stored_query_is_refused(
    owner: Any, tmp_path: Path
) -> None:
    from searchbench.cases import transfer

    case = _import("ltr", io.BytesIO(b"1 qid:7 # d1 red boots\n"), owner, "c").case
    before = counts()
    # qid 7 is "red boots"; the second line's text is that query too, under another qid.
    source = io.BytesIO(b"1 qid:7 # d2 boots\n1 qid:8 # d3 red boots\n")
    with pytest.raises(transfer.TransferError) as info:
        _import("ltr", source, owner, case)
    assert info.value.problems == [("line 2", "the query is also line 1")]
    assert counts() == before


@pytest.mark.django_db
def test_values_longer_than_their_columns_are_problems_not_database_errors(
    owner: Any,
) -> None:
    from searchbench.cases import transfer

    before = counts()
    long_qid = "9" * 101
    with pytest.raises(transfer.TransferError) as info:
        _import("ltr", io.BytesIO(f"1 qid:{long_qid} # d1 q\n".encode()), owner, "c")
    assert info.value.problems == [("line 1", "query external id is 101 characters; at most 100")]
    assert counts() == before


@pytest.mark.django_db
def test_the_newest_snapshot_exports_as_a_trec_run_that_eval_reads(
    haystack_case: Path, quepid_files: Path, owner: Any
) -> None:
    from searchbench.cases import transfer
    from searchbench.domain.formats.trec import read_run

    case = _import("quepid-case", haystack_case, owner, None).case
    snapshot = quepid_files / "snapshot-csv" / "haystack_vector-2_snapshot.csv"
    report = _import("snapshot-csv", snapshot, owner, case)
    assert report.snapshots_added == 1 and report.queries_added == 0  # linked by text
    text = transfer.export_text("trec-run", case)
    lines = text.splitlines()
    assert len(lines) == 300
    printer = case.queries.get(text="printer").pk
    assert lines[0] == f"{printer} Q0 24671 1 10.0 searchbench"
    assert lines[9] == f"{printer} Q0 2117 10 1.0 searchbench"
    run = read_run(io.BytesIO(text.encode()))
    ranked = sorted(run[str(printer)].items(), key=lambda kv: -kv[1])
    assert [doc for doc, _ in ranked][:3] == ["24671", "24674", "3849563"]
