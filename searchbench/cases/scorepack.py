"""The compact storage format of one run's per-query scores and errors (``ScoreHistory.packed``).

A 1,000-query case run 65,000 times is 65 million per-query scores: as a JSON object per run
(``{"1234": 0.8312…}``, about 30 bytes a query) that is about 2 GB; here it is about 4 bytes a
query. The format, version 1, is one byte (the version) and a zlib stream of little-endian arrays:

    uint32 n, uint32 k, uint32 m      queries, failed queries, distinct error messages
    int64[n]    query ids, ascending, as deltas (the first from 0): consecutive ids are runs of 1s
                that zlib folds to a few bytes
    float32[n]  scores, parallel to the ids (NaN for a failed query); float32 keeps 7 significant
                digits, far more than a score is shown with (the case score is stored apart, as a
                double)
    uint32[k]   positions of the failed queries, ascending, as deltas
    uint32[k]   for each failed query, its message's index
    m times     uint32 length, UTF-8 bytes: the messages (an outage fails every query with one
                message, stored once)

A query is failed exactly when its position is listed, whatever its score slot holds.
"""

from __future__ import annotations

import math
import struct
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

VERSION = 1
_COUNTS = struct.Struct("<III")
_LENGTH = struct.Struct("<I")
# Level 6 (zlib's default) packs a 1,000-query run in about 0.2 ms; scores with many repeats
# (0.0 for unrated queries, 1.0) shrink well below 4 bytes each.
_LEVEL = 6


class ScorePackError(ValueError):
    """Bytes that are not a score pack this version can read."""


@dataclass(frozen=True)
class QueryScores:
    """One run's outcome per query id: a score, or an error message (never both)."""

    scores: dict[int, float]
    errors: dict[int, str]


def pack(scores: Mapping[int, float], errors: Mapping[int, str]) -> bytes:
    """The bytes for ``scores`` (queries that were scored) and ``errors`` (queries that failed;
    a query in both counts as failed)."""
    order = sorted(set(scores) | set(errors))
    messages: dict[str, int] = {}
    codes = [
        messages.setdefault(errors[qid], len(messages)) if qid in errors else -1 for qid in order
    ]
    values = [math.nan if qid in errors else scores[qid] for qid in order]
    return Entries(
        np.array(order, dtype="<i8"),
        np.array(values, dtype="<f4"),
        np.array(codes, dtype=np.int64),
        list(messages),
    ).to_bytes()


class Entries:
    """One run's entries as arrays, to change a few of them without building a dict of every
    query: a rating puts one query's new score into a 10,000-query run in about 2 ms (the dicts
    of ``unpack`` and ``pack`` take 10 ms), and the case score is summed from the arrays.

    ``ids`` ascending; ``values`` the float32 scores (NaN for a failed query); ``codes`` the
    message index of a failed query, -1 for a scored one; ``messages`` the distinct messages.
    """

    def __init__(
        self, ids: np.ndarray, values: np.ndarray, codes: np.ndarray, messages: list[str]
    ) -> None:
        self.ids, self.values, self.codes, self.messages = ids, values, codes, messages

    @classmethod
    def read(cls, blob: bytes | memoryview) -> Entries:
        """The entries packed in ``blob`` (none for empty bytes)."""
        if not bytes(blob[:1]):
            return cls(np.zeros(0, "<i8"), np.zeros(0, "<f4"), np.zeros(0, np.int64), [])
        ids, values, failed, which, messages = _arrays(blob)
        codes = np.full(len(ids), -1, dtype=np.int64)
        codes[failed] = which
        return cls(ids.astype("<i8"), values.copy(), codes, messages)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def top(self) -> int:
        """The highest query id recorded (0 for none)."""
        return int(self.ids[-1]) if len(self.ids) else 0

    @property
    def num_errors(self) -> int:
        return int(np.count_nonzero(self.codes >= 0))

    def has(self, query_id: int) -> bool:
        pos = int(np.searchsorted(self.ids, query_id))
        return pos < len(self.ids) and int(self.ids[pos]) == query_id

    def put(self, query_id: int, score: float, error: str | None = None) -> None:
        """Set one query's score, or (``error`` given) mark it failed; added if it is not in."""
        pos = int(np.searchsorted(self.ids, query_id))
        if pos == len(self.ids) or int(self.ids[pos]) != query_id:
            self.ids = np.insert(self.ids, pos, query_id)
            self.values = np.insert(self.values, pos, 0.0)
            self.codes = np.insert(self.codes, pos, -1)
        if error is None:
            self.values[pos], self.codes[pos] = score, -1
            return
        if error not in self.messages:
            self.messages.append(error)
        self.values[pos], self.codes[pos] = math.nan, self.messages.index(error)

    def keep(self, query_ids: Iterable[int]) -> None:
        """Drop every entry whose query id is not in ``query_ids``."""
        mask = np.isin(self.ids, np.fromiter(query_ids, dtype=np.int64))
        self.ids, self.values, self.codes = self.ids[mask], self.values[mask], self.codes[mask]

    def total(self) -> float:
        """The sum of the scored queries' scores (a failed query adds nothing)."""
        return float(self.values[self.codes < 0].astype(np.float64).sum())

    def to_bytes(self) -> bytes:
        failed = np.flatnonzero(self.codes >= 0)
        codes = self.codes[failed]
        # Only the messages still used, in the order of their first failed query.
        used, first = np.unique(codes, return_index=True)
        kept = used[np.argsort(first)]
        renumber = np.zeros(len(self.messages), dtype=np.int64)
        renumber[kept] = np.arange(len(kept))
        which = renumber[codes]
        messages = [self.messages[int(i)] for i in kept]
        body = [
            _COUNTS.pack(len(self.ids), len(failed), len(messages)),
            np.diff(self.ids, prepend=0).astype("<i8").tobytes(),
            self.values.astype("<f4").tobytes(),
            np.diff(failed.astype("<u4"), prepend=0).astype("<u4").tobytes(),
            which.astype("<u4").tobytes(),
        ]
        for message in messages:
            data = message.encode("utf-8", "replace")
            body += [_LENGTH.pack(len(data)), data]
        return bytes([VERSION]) + zlib.compress(b"".join(body), _LEVEL)


def unpack(blob: bytes | memoryview) -> QueryScores:
    """The scores and errors packed in ``blob``."""
    ids, values, failed, which, messages = _arrays(blob)
    errors = {
        int(ids[pos]): messages[idx]
        for pos, idx in zip(failed.tolist(), which.tolist(), strict=True)
    }
    # Each float32 read back as its shortest decimal (0.4 comes back 0.4, not 0.4000000059604645).
    shortest = [float(text) for text in values.astype(str)]
    scores = {
        qid: score for qid, score in zip(ids.tolist(), shortest, strict=True) if qid not in errors
    }
    return QueryScores(scores, errors)


def score_of(blob: bytes | memoryview, query_id: int) -> float | None:
    """One query's score (None: not in the run, or failed) without building the dicts; for a
    per-query series over many runs."""
    ids, values, failed, _which, _messages = _arrays(blob)
    pos = int(np.searchsorted(ids, query_id))
    if pos >= len(ids) or ids[pos] != query_id or pos in set(failed.tolist()):
        return None
    return float(str(values[pos]))


def _arrays(
    blob: bytes | memoryview,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """(ids, scores, failed positions, message index per failed query, messages)."""
    data = bytes(blob)
    if not data or data[0] != VERSION:
        raise ScorePackError(f"score pack version {data[:1].hex() or 'missing'}, not {VERSION}")
    try:
        body = zlib.decompress(data[1:])
        n, k, m = _COUNTS.unpack_from(body)
        at = _COUNTS.size
        ids = np.cumsum(np.frombuffer(body, "<i8", n, at))
        at += 8 * n
        values = np.frombuffer(body, "<f4", n, at)
        at += 4 * n
        failed = np.cumsum(np.frombuffer(body, "<u4", k, at), dtype=np.int64)
        at += 4 * k
        which = np.frombuffer(body, "<u4", k, at)
        at += 4 * k
        messages = []
        for _ in range(m):
            (length,) = _LENGTH.unpack_from(body, at)
            at += _LENGTH.size
            messages.append(body[at : at + length].decode("utf-8", "replace"))
            at += length
    except (zlib.error, struct.error, ValueError) as exc:
        raise ScorePackError(f"a damaged score pack: {exc}") from None
    if k and (int(failed.max()) >= n or int(which.max()) >= m):
        raise ScorePackError("a damaged score pack: a failed query out of range")
    return ids, values, failed, which, messages
