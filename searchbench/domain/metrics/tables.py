"""Columnar qrels and runs: the in-memory form every measure is computed from.

Dict-of-dicts is the friendly interface (``{qid: {docid: value}}``) but it costs a Python object
per judgment; at 100k queries x 100 docs that alone is seconds. These tables keep one numpy array
per column, with document ids as UTF-8 bytes (``S`` dtype, which compares in byte order exactly as
trec_eval's ``strcmp`` does) and a 64-bit hash per (query, document) used for joining.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

Int64Array = npt.NDArray[np.int64]
UInt64Array = npt.NDArray[np.uint64]
FloatArray = npt.NDArray[np.float64]
BytesArray = npt.NDArray[np.bytes_]

_MIX = np.uint64(0x9E3779B97F4A7C15)
_MIX2 = np.uint64(0xBF58476D1CE4E5B9)


def _fmix(k: UInt64Array) -> UInt64Array:
    """MurmurHash3's 64-bit finaliser: a bijection that maps 0 to 0."""
    k = k ^ (k >> np.uint64(33))
    k *= np.uint64(0xFF51AFD7ED558CCD)
    k ^= k >> np.uint64(33)
    k *= np.uint64(0xC4CEB9FE1A85EC53)
    k ^= k >> np.uint64(33)
    return k


def hash_bytes(values: BytesArray) -> UInt64Array:
    """A 64-bit hash of each byte string, computed 8 bytes at a time.

    It depends on the content only, not on the array's fixed width: ``S3`` and ``S20`` copies of
    the same id hash alike (the NUL padding words contribute nothing), so qrels and runs read
    separately can be joined.
    """
    n = len(values)
    width = values.dtype.itemsize
    if n == 0 or width == 0:
        return np.zeros(n, dtype=np.uint64)
    padded_width = (width + 7) // 8 * 8
    raw = np.ascontiguousarray(values).view(np.uint8).reshape(n, width)
    if padded_width != width:
        padded = np.zeros((n, padded_width), dtype=np.uint8)
        padded[:, :width] = raw
        raw = padded
    words = raw.view(np.uint64)
    h = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(words.shape[1]):
            h += _fmix(words[:, j].copy()) * np.uint64((0x9E3779B97F4A7C15 * (2 * j + 1)) % 2**64)
        return _fmix(h)


def join_keys(query: Int64Array, doc_hash: UInt64Array) -> UInt64Array:
    """One key per (query index, document): equal keys mean the same pair (modulo a checked collision)."""
    with np.errstate(over="ignore"):
        k = doc_hash ^ (query.astype(np.uint64) * _MIX2)
        k *= _MIX
        k ^= k >> np.uint64(29)
    return k


def to_bytes_array(items: Sequence[str]) -> BytesArray:
    encoded = [s.encode("utf-8") for s in items]
    if not encoded:
        return np.zeros(0, dtype="S1")
    return np.array(encoded, dtype=np.bytes_)


@dataclass
class QrelsTable:
    """Judgments: row i says document ``doc[i]`` has grade ``rel[i]`` for query ``qids[query[i]]``."""

    qids: list[str]
    query: Int64Array
    doc: BytesArray
    rel: Int64Array
    # Judgment group of each row (the "iter" column, read only for trec_eval's -R qrels_jg).
    group: BytesArray | None = None
    _doc_hash: UInt64Array | None = field(default=None, repr=False)

    @property
    def doc_hash(self) -> UInt64Array:
        if self._doc_hash is None:
            self._doc_hash = hash_bytes(self.doc)
        return self._doc_hash

    def groups(self) -> list[tuple[bytes, QrelsTable]]:
        """One table per judgment group (the whole table if there are no groups)."""
        if self.group is None:
            return [(b"", self)]
        out = []
        for name in np.unique(self.group).tolist():
            rows = np.flatnonzero(self.group == name)
            present, query = np.unique(self.query[rows], return_inverse=True)
            out.append(
                (
                    name,
                    QrelsTable(
                        [self.qids[i] for i in present.tolist()],
                        query.astype(np.int64),
                        self.doc[rows],
                        self.rel[rows],
                        _doc_hash=self.doc_hash[rows],
                    ),
                )
            )
        return out

    @classmethod
    def from_mapping(cls, qrels: Mapping[str, Mapping[str, int]]) -> QrelsTable:
        qids = [str(q) for q in qrels]
        counts = [len(qrels[q]) for q in qrels]
        docs: list[str] = []
        rels: list[int] = []
        for q in qrels:
            judged = qrels[q]
            docs.extend(str(d) for d in judged)
            rels.extend(int(v) for v in judged.values())
        query = np.repeat(np.arange(len(qids), dtype=np.int64), counts)
        return cls(qids, query, to_bytes_array(docs), np.array(rels, dtype=np.int64))

    def to_mapping(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {q: {} for q in self.qids}
        for q, d, r in zip(self.query.tolist(), self.doc.tolist(), self.rel.tolist(), strict=True):
            out[self.qids[q]][d.decode("utf-8")] = r
        return out


@dataclass
class RunTable:
    """A ranking: row i says document ``doc[i]`` scored ``score[i]`` for query ``qids[query[i]]``.

    Row order is irrelevant: ranks are derived from scores (ties: document id descending).
    """

    qids: list[str]
    query: Int64Array
    doc: BytesArray
    score: FloatArray
    run_id: str = ""
    _doc_hash: UInt64Array | None = field(default=None, repr=False)

    @property
    def doc_hash(self) -> UInt64Array:
        if self._doc_hash is None:
            self._doc_hash = hash_bytes(self.doc)
        return self._doc_hash

    @classmethod
    def from_mapping(cls, run: Mapping[str, Mapping[str, float]], run_id: str = "") -> RunTable:
        qids = [str(q) for q in run]
        counts = [len(run[q]) for q in run]
        docs: list[str] = []
        scores: list[float] = []
        for q in run:
            ranked = run[q]
            docs.extend(str(d) for d in ranked)
            scores.extend(float(v) for v in ranked.values())
        query = np.repeat(np.arange(len(qids), dtype=np.int64), counts)
        return cls(
            qids, query, to_bytes_array(docs), np.array(scores, dtype=np.float64), run_id=run_id
        )

    def to_mapping(self) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {q: {} for q in self.qids}
        for q, d, s in zip(
            self.query.tolist(), self.doc.tolist(), self.score.tolist(), strict=True
        ):
            out[self.qids[q]][d.decode("utf-8")] = s
        return out
