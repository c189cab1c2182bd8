"""The packed per-query scores of a history row (cases/scorepack.py)."""

from __future__ import annotations

import math

import pytest

from searchbench.cases import scorepack


def test_scores_and_errors_come_back_by_query_id():
    scores = {12: 0.4, 10: 1.0, 11: 0.0, 9_000_000_000: 2 / 3}  # any order, 64-bit ids
    errors = {13: "timeout", 15: "HTTP 500", 14: "timeout"}
    back = scorepack.unpack(scorepack.pack(scores, errors))
    assert back.errors == errors
    assert back.scores == pytest.approx(scores, rel=1e-7)  # float32: 7 significant digits
    assert back.scores[12] == 0.4  # read back as the shortest decimal, not 0.4000000059604645


def test_a_query_in_both_counts_as_failed():
    back = scorepack.unpack(scorepack.pack({1: 0.5, 2: 0.5}, {2: "boom"}))
    assert back.scores == {1: 0.5} and back.errors == {2: "boom"}


def test_an_empty_run_packs():
    assert scorepack.unpack(scorepack.pack({}, {})) == scorepack.QueryScores({}, {})


def test_a_run_of_consecutive_ids_costs_about_four_bytes_a_query():
    scores = {1000 + i: (i % 997) / 997 for i in range(1000)}
    assert len(scorepack.pack(scores, {})) < 4 * 1000 + 100


def test_one_message_for_every_query_is_stored_once():
    errors = {qid: "connection refused: http://solr:8983" for qid in range(1000)}
    assert len(scorepack.pack({}, errors)) < 200


def test_one_score_is_read_without_the_others():
    blob = scorepack.pack({5: 0.25, 7: 1.0}, {6: "boom"})
    assert [scorepack.score_of(blob, q) for q in (5, 6, 7, 8)] == [0.25, None, 1.0, None]


def test_a_score_that_is_not_finite_survives():
    back = scorepack.unpack(scorepack.pack({1: math.inf}, {}))
    assert back.scores == {1: math.inf}


@pytest.mark.parametrize("blob", [b"", b"\x02abc", b"\x01not zlib", b"\x01" + b"x\x9c\x03\x00"])
def test_damaged_bytes_are_a_clear_error(blob):
    with pytest.raises(scorepack.ScorePackError):
        scorepack.unpack(blob)


def test_entries_change_one_query_as_the_dicts_would():
    blob = scorepack.pack({1: 0.5, 3: 0.25, 4: 1.0}, {2: "timeout", 5: "HTTP 500"})
    entries = scorepack.Entries.read(blob)
    assert len(entries) == 5 and entries.top == 5 and entries.num_errors == 2
    entries.put(2, 0.75)  # the failed query now scored
    entries.put(9, 0.0, "boom")  # a new query, failed
    entries.put(3, 0.0, "timeout")  # a scored one now failed with a known message
    entries.keep([1, 2, 3, 4, 9])  # 5 was deleted
    back = scorepack.unpack(entries.to_bytes())
    assert back.scores == {1: 0.5, 2: 0.75, 4: 1.0}
    assert back.errors == {3: "timeout", 9: "boom"}
    assert entries.total() == 0.5 + 0.75 + 1.0  # a failed query adds nothing


def test_entries_store_only_the_messages_still_used():
    entries = scorepack.Entries.read(scorepack.pack({}, {1: "a" * 500, 2: "b"}))
    entries.put(1, 1.0)
    assert len(entries.to_bytes()) < len(scorepack.pack({1: 1.0}, {2: "b"})) + 10
    assert entries.to_bytes() == scorepack.pack({1: 1.0}, {2: "b"})


def test_entries_of_no_bytes_are_empty():
    entries = scorepack.Entries.read(b"")
    assert len(entries) == 0 and entries.top == 0 and entries.total() == 0.0
    entries.put(7, 0.5)
    assert scorepack.unpack(entries.to_bytes()).scores == {7: 0.5}
