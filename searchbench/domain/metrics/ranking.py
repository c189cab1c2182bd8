"""From qrels + run to one padded matrix of judged ranks: the input of every measure.

trec_eval's rules (``form_res_rels.c``): the rank column is ignored; documents are ordered by score
descending, ties broken by document id descending in byte order; ``-M`` keeps the first N; a
document missing from the qrels is "not in the pool"; a negative qrel means "in the pool but
unjudged" (never relevant). Every query becomes one row of ``rel``; a cell holds the document's
qrel (>= 0) or one of the negative codes below, so each measure is a few array operations over
all queries at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from searchbench.domain.metrics.tables import (
    FloatArray,
    Int64Array,
    QrelsTable,
    RunTable,
    UInt64Array,
    join_keys,
)

NONPOOL = -1  # retrieved, not in the qrels
UNJUDGED = -2  # retrieved, in the qrels with a negative value (pooled but not judged)
PAD = -3  # beyond the end of this query's ranking

BoolArray = npt.NDArray[np.bool_]


class DuplicateDocument(ValueError):
    """The same document appears twice for one query."""


@dataclass
class Ranked:
    """Per query (rows, in ``qids`` order): the judged ranking and the judgment counts."""

    qids: list[str]
    rel: npt.NDArray[np.signedinteger[Any]]  # [n_queries, depth] codes (int8 or int64)
    num_ret: Int64Array  # [n_queries]
    rel_levels: Int64Array  # [n_queries, max_grade + 1]: judged docs per grade (grades >= 0)
    missing: BoolArray  # query had no ranking at all (only with complete=True)
    rel_level: int = 1
    max_grade: int = 0  # highest grade in the whole qrels
    _cache: dict[tuple[str, int], npt.NDArray[np.int64]] = field(default_factory=dict, repr=False)

    @property
    def n_queries(self) -> int:
        return len(self.qids)

    @property
    def depth(self) -> int:
        return int(self.rel.shape[1])

    def level(self, override: int | None) -> int:
        return self.rel_level if override is None else override

    def num_rel(self, level: int) -> Int64Array:
        key = ("num_rel", level)
        if key not in self._cache:
            lo = max(level, 0)
            self._cache[key] = self.rel_levels[:, lo:].sum(axis=1).astype(np.int64)
        return self._cache[key]

    def num_judged(self) -> Int64Array:
        return np.asarray(self.rel_levels.sum(axis=1), dtype=np.int64)

    def is_rel(self, level: int) -> BoolArray:
        # max(level, 0): a relevance level <= 0 must still never count unjudged/absent docs.
        return self.rel >= max(level, 0)

    def cum_rel(self, level: int) -> Int64Array:
        """cum_rel[q, i] = relevant docs among the first i + 1."""
        key = ("cum", level)
        if key not in self._cache:
            self._cache[key] = np.cumsum(self.is_rel(level), axis=1, dtype=np.int64)
        return self._cache[key]

    def rel_at(self, level: int, k: int) -> Int64Array:
        """Relevant docs in the top k (k may exceed the depth)."""
        if k <= 0 or self.depth == 0:
            return np.zeros(self.n_queries, dtype=np.int64)
        return self.cum_rel(level)[:, min(k, self.depth) - 1]

    def num_rel_ret(self, level: int) -> Int64Array:
        return self.rel_at(level, self.depth)

    def ranks(self) -> FloatArray:
        """1-based ranks as floats, one row broadcastable against ``rel``."""
        return np.arange(1, self.depth + 1, dtype=np.float64)[None, :]


def _build_table(keys: UInt64Array) -> tuple[UInt64Array, Int64Array, int]:
    """Open-addressing hash table (linear probing) built with whole-array rounds."""
    size = 1 << max(4, (2 * len(keys)).bit_length())
    mask = size - 1
    table_keys = np.zeros(size, dtype=np.uint64)
    table_rows = np.full(size, -1, dtype=np.int64)
    pending = np.arange(len(keys), dtype=np.int64)
    slots = (keys & np.uint64(mask)).astype(np.int64)
    while pending.size:
        s = slots[pending]
        free = table_rows[s] == -1
        candidates, cslots = pending[free], s[free]
        table_rows[cslots] = candidates  # several may race for one slot: the last write wins
        won = table_rows[cslots] == candidates
        table_keys[cslots[won]] = keys[candidates[won]]
        losers = np.concatenate([candidates[~won], pending[~free]])
        slots[losers] = (slots[losers] + 1) & mask
        pending = losers
    return table_keys, table_rows, mask


def _lookup(table: tuple[UInt64Array, Int64Array, int], needles: UInt64Array) -> Int64Array:
    table_keys, table_rows, mask = table
    found = np.full(len(needles), -1, dtype=np.int64)
    active = np.arange(len(needles), dtype=np.int64)
    slots = (needles & np.uint64(mask)).astype(np.int64)
    while active.size:
        rows = table_rows[slots]
        occupied = rows != -1
        hit = occupied & (table_keys[slots] == needles[active])
        found[active[hit]] = rows[hit]
        go_on = occupied & ~hit
        active = active[go_on]
        slots = (slots[go_on] + 1) & mask
    return found


def eval_qids(qrels: QrelsTable, run: RunTable, complete: bool) -> list[str]:
    judged = set(qrels.qids)
    chosen = judged if complete else judged & set(run.qids)
    return sorted(chosen, key=lambda q: q.encode("utf-8"))


def _group(codes: Int64Array, to_eval: Int64Array) -> tuple[Int64Array, Int64Array, Int64Array]:
    """(rows, query, position): the rows of evaluated queries, each with its query index and its
    position among that query's rows, in input order.

    Files are written one query after another, so the usual case needs no sort: each query's rows
    form one contiguous block.
    """
    n = len(codes)
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    change = np.flatnonzero(codes[1:] != codes[:-1]) + 1
    starts = np.concatenate([[0], change]).astype(np.int64)
    block_codes = codes[starts]
    if len(np.unique(block_codes)) == len(block_codes):
        order = None
    else:
        order = _stable_order(codes)
        codes = codes[order]
        change = np.flatnonzero(codes[1:] != codes[:-1]) + 1
        starts = np.concatenate([[0], change]).astype(np.int64)
        block_codes = codes[starts]
    lengths = np.diff(np.append(starts, n))
    position = np.arange(n, dtype=np.int64) - np.repeat(starts, lengths)
    query = np.repeat(to_eval[block_codes], lengths)
    rows = np.arange(n, dtype=np.int64) if order is None else order
    keep = query >= 0
    return rows[keep], query[keep], position[keep]


def _stable_order(codes: Int64Array) -> Int64Array:
    """np.argsort(codes, kind="stable"), faster: with the row number folded into the key every
    key is distinct, so numpy's (SIMD) quicksort gives the stable order."""
    n = len(codes)
    top = int(codes.max()) + 1 if n else 0
    if top * n >= 2**62:
        return np.argsort(codes, kind="stable").astype(np.int64)
    keys = codes.astype(np.int64) * n + np.arange(n, dtype=np.int64)
    return np.argsort(keys, kind="quicksort").astype(np.int64)


def _scatter(
    nq: int, query: Int64Array, position: Int64Array, values: Any, fill: Any, dtype: Any
) -> Any:
    depth = int(position.max()) + 1 if len(position) else 0
    out = np.full((nq, depth), fill, dtype=dtype)
    out[query, position] = values
    return out


# Above this many (query, retrieved doc, judged doc) comparisons, join through a hash table.
_BROADCAST_BUDGET = 400_000_000
_ROW_BLOCK = 4096
_NO_DOC = np.uint64(1)  # hash of a padding cell among the judgments (never a real doc's hash)


def _join_by_rows(
    run_hash: UInt64Array, judged_hash: UInt64Array, judged_row: Int64Array
) -> Int64Array:
    """found[q, i] = the qrels row whose doc hash equals run_hash[q, i] within query q, else -1."""
    found = np.full(run_hash.shape, -1, dtype=np.int64)
    match = np.empty((min(_ROW_BLOCK, run_hash.shape[0]), run_hash.shape[1]), dtype=np.bool_)
    for lo in range(0, run_hash.shape[0], _ROW_BLOCK):
        hi = min(lo + _ROW_BLOCK, run_hash.shape[0])
        h, f, m = run_hash[lo:hi], found[lo:hi], match[: hi - lo]
        for j in range(judged_hash.shape[1]):
            np.equal(h, judged_hash[lo:hi, j, None], out=m)
            np.copyto(f, judged_row[lo:hi, j, None], where=m)
    return found


@dataclass
class _Cells:
    """The run laid out as [query, position] cells (-1 = no doc), in input order per query."""

    row: Int64Array
    score: FloatArray
    count: Int64Array


def _run_cells(run: RunTable, nq: int, to_eval: Int64Array) -> _Cells:
    codes = run.query
    n = len(codes)
    if n:
        change = np.flatnonzero(codes[1:] != codes[:-1]) + 1
        starts = np.concatenate([[0], change]).astype(np.int64)
        lengths = np.diff(np.append(starts, n))
        block_q = to_eval[codes[starts]]
        contiguous = len(np.unique(codes[starts])) == len(starts)
        if contiguous and (lengths == lengths[0]).all():
            # The usual file: one block per query, all of the same length: a reshape.
            depth = int(lengths[0])
            kept = np.flatnonzero(block_q >= 0)
            row = np.full((nq, depth), -1, dtype=np.int64)
            score = np.full((nq, depth), -np.inf)
            row[block_q[kept]] = np.arange(n, dtype=np.int64).reshape(-1, depth)[kept]
            score[block_q[kept]] = run.score.reshape(-1, depth)[kept]
            count = np.zeros(nq, dtype=np.int64)
            count[block_q[kept]] = depth
            return _Cells(row, score, count)
    rows, query, position = _group(codes, to_eval)
    count = np.bincount(query, minlength=nq).astype(np.int64)
    return _Cells(
        _scatter(nq, query, position, rows, -1, np.int64),
        _scatter(nq, query, position, run.score[rows], -np.inf, np.float64),
        count,
    )


def _steps(score: FloatArray, count: Int64Array, has_inf: bool) -> FloatArray:
    """score[:, i+1] - score[:, i]: > 0 means out of order, == 0 means a tie."""
    with np.errstate(invalid="ignore"):
        step = np.diff(score, axis=1)  # padding is -inf: its steps are -inf or nan, never >= 0
    if has_inf:
        later = np.arange(1, score.shape[1])[None, :] < count[:, None]
        tie = np.isnan(step) & later  # two real infinite scores
        step = np.where(later, step, -1.0)
        step[tie] = 0.0
    return np.asarray(step, dtype=np.float64)


def _order_by_score(run: RunTable, cells: _Cells) -> None:
    """Sort each query's cells by score desc, then docno desc (in place)."""
    row, score, count = cells.row, cells.score, cells.count
    if score.shape[1] < 2:
        return
    has_inf = bool(np.isinf(run.score).any())
    step = _steps(score, count, has_inf)
    unsorted = np.flatnonzero((step > 0).any(axis=1))
    if unsorted.size:
        # Ties are re-ordered below, so an unstable (SIMD) sort will do, except that padding
        # (-inf, after the real cells) must stay after real -inf scores.
        if has_inf:
            by_score = np.argsort(-score[unsorted], axis=1, kind="stable")
        else:
            by_score = np.argsort(-score[unsorted], axis=1, kind="quicksort")
        score[unsorted] = np.take_along_axis(score[unsorted], by_score, axis=1)
        row[unsorted] = np.take_along_axis(row[unsorted], by_score, axis=1)
        step[unsorted] = _steps(score[unsorted], count[unsorted], has_inf)
    tie = step == 0  # tie[q, i]: cells i and i + 1 of query q have equal scores
    if tie.any():
        _break_ties(run, row, tie)


def _break_ties(run: RunTable, row: Int64Array, tie: BoolArray) -> None:
    """Re-sort the rows that have ties by (score desc, docno desc in byte order), in place.

    Docnos become big-endian 64-bit words, which compare like the bytes (strcmp); each row is then
    sorted with stable row-wise sorts from the least significant key (the last word) to the most
    significant (the score), all rows at once.
    """
    rows = np.flatnonzero(tie.any(axis=1))
    sub = row[rows]
    valid = sub >= 0
    safe = np.where(valid, sub, 0)
    docs = run.doc[safe]
    n, depth = sub.shape
    width = docs.dtype.itemsize
    padded = np.zeros((n, depth, (width + 7) // 8 * 8), dtype=np.uint8)
    padded[:, :, :width] = np.ascontiguousarray(docs).view(np.uint8).reshape(n, depth, width)
    words = padded.view(">u8").astype(np.uint64)
    words[~valid] = np.uint64(0)
    neg_score = np.where(valid, -run.score[safe], np.inf)
    perm = np.broadcast_to(np.arange(depth), (n, depth)).copy()
    for k in reversed(range(words.shape[2])):
        key = np.take_along_axis(~words[:, :, k], perm, axis=1)  # ~: descending docno
        perm = np.take_along_axis(perm, np.argsort(key, axis=1, kind="stable"), axis=1)
    key = np.take_along_axis(neg_score, perm, axis=1)
    perm = np.take_along_axis(perm, np.argsort(key, axis=1, kind="stable"), axis=1)
    row[rows] = np.take_along_axis(sub, perm, axis=1)


def build_ranked(
    qrels: QrelsTable,
    run: RunTable,
    *,
    rel_level: int = 1,
    complete: bool = False,
    max_depth: int | None = None,
    judged_only: bool = False,
) -> Ranked:
    """Rank and judge every evaluated query (see the module doc).

    ``judged_only`` (trec_eval's -J) then drops the docs without a judgment (absent from the
    qrels, or negative), keeping the order of the rest: the "condensed list" evaluation.
    """
    qids = eval_qids(qrels, run, complete)
    index = {q: i for i, q in enumerate(qids)}
    nq = len(qids)
    max_grade = int(qrels.rel.max()) if len(qrels.rel) else 0
    min_grade = int(qrels.rel.min()) if len(qrels.rel) else 0
    levels = max(max_grade, 0) + 1

    # Qrels: per-grade counts, and per query a padded row of (doc hash, qrels row).
    qmap = np.array([index.get(q, -1) for q in qrels.qids] or [-1], dtype=np.int64)
    q_rows, q_query, q_pos = _group(qrels.query, qmap)
    q_rel = qrels.rel[q_rows]
    judged = q_rel >= 0
    rel_levels = np.bincount(
        q_query[judged] * levels + q_rel[judged], minlength=nq * levels
    ).reshape(nq, levels)
    q_hash = qrels.doc_hash[q_rows]
    if (q_hash <= _NO_DOC).any():
        return _build_ranked_slow(qrels, run, qids, rel_level, complete, max_depth, judged_only)
    judged_hash = _scatter(nq, q_query, q_pos, q_hash, _NO_DOC, np.uint64)
    judged_row = _scatter(nq, q_query, q_pos, q_rows, -1, np.int64)
    if judged_hash.shape[1] > 1:
        ordered = np.sort(judged_hash, axis=1)
        if ((ordered[:, 1:] == ordered[:, :-1]) & (ordered[:, 1:] != _NO_DOC)).any():
            _refuse_duplicate_judgments(qrels, q_rows, q_query, qids)
            return _build_ranked_slow(qrels, run, qids, rel_level, complete, max_depth, judged_only)

    # Run: one row per query, sorted by score desc, ties by docno desc.
    rmap = np.array([index.get(q, -1) for q in run.qids] or [-1], dtype=np.int64)
    cells = _run_cells(run, nq, rmap)
    _order_by_score(run, cells)
    cell_row, counts = cells.row, cells.count
    depth = cell_row.shape[1]
    if max_depth is not None and max_depth < depth:
        depth = max(max_depth, 0)
        cell_row = cell_row[:, :depth]
        counts = np.minimum(counts, depth)
    valid = cell_row >= 0

    # Join the ranked cells with the judgments of their query.
    run_hash = run.doc_hash[cell_row] if len(run.doc_hash) else np.zeros(valid.shape, np.uint64)
    run_hash[~valid] = 0  # padding never equals a judged doc (hashes 0 and 1 take the slow path)
    if (run_hash == _NO_DOC).any():
        return _build_ranked_slow(qrels, run, qids, rel_level, complete, max_depth, judged_only)
    if nq * depth * judged_hash.shape[1] <= _BROADCAST_BUDGET:
        found = _join_by_rows(run_hash, judged_hash, judged_row)
    else:
        flat_q = np.broadcast_to(np.arange(nq, dtype=np.int64)[:, None], valid.shape)[valid]
        table = _build_table(join_keys(q_query, q_hash))
        found = np.full(valid.shape, -1, dtype=np.int64)
        hits = _lookup(table, join_keys(flat_q, run_hash[valid]))
        found[valid] = np.where(hits >= 0, q_rows[np.maximum(hits, 0)], -1)
    flat_found = found.ravel()
    hit = np.flatnonzero(flat_found >= 0)
    judged_rows = flat_found[hit]
    # A 64-bit hash collision must not pass for a match: compare the ids themselves.
    same = run.doc[cell_row.ravel()[hit]] == qrels.doc[judged_rows]
    hit, judged_rows = hit[same], judged_rows[same]
    grades = qrels.rel[judged_rows]
    # The narrowest integer type that holds every grade and the negative codes.
    small = min_grade >= -128 and max_grade <= 127
    codes: type[np.signedinteger[Any]] = np.int8 if small else np.int64
    rel = np.where(valid, NONPOOL, PAD).astype(codes)
    rel.ravel()[hit] = np.where(grades >= 0, grades, UNJUDGED)
    if judged_only:
        rel, counts = _condense(rel)

    present = set(run.qids)
    missing = np.array([q not in present for q in qids], dtype=np.bool_)
    return Ranked(qids, rel, counts, rel_levels.astype(np.int64), missing, rel_level, max_grade)


def _condense(rel: npt.NDArray[Any]) -> tuple[npt.NDArray[Any], Int64Array]:
    """Keep only judged cells (code >= 0) of each row, in order, padding the rest."""
    judged = rel >= 0
    order = np.argsort(~judged, axis=1, kind="stable")
    condensed = np.take_along_axis(rel, order, axis=1)
    counts = judged.sum(axis=1).astype(np.int64)
    depth = int(counts.max()) if counts.size else 0
    condensed = condensed[:, :depth]
    condensed[np.arange(depth)[None, :] >= counts[:, None]] = PAD
    return condensed, counts


def _refuse_duplicate_judgments(
    qrels: QrelsTable, rows: Int64Array, query: Int64Array, qids: list[str]
) -> None:
    seen: set[tuple[int, bytes]] = set()
    for q, doc in zip(query.tolist(), qrels.doc[rows].tolist(), strict=True):
        if (q, doc) in seen:
            raise DuplicateDocument(
                f"qrels: document {doc.decode('utf-8', 'replace')!r} is judged twice "
                f"for query {qids[q]!r}"
            )
        seen.add((q, doc))


def _build_ranked_slow(
    qrels: QrelsTable,
    run: RunTable,
    qids: list[str],
    rel_level: int,
    complete: bool,
    max_depth: int | None,
    judged_only: bool,
) -> Ranked:
    """Plain-Python path, used only when two judged doc ids of one query share a 64-bit hash."""
    judged = qrels.to_mapping()
    ranking = run.to_mapping()
    nq = len(qids)
    max_grade = int(qrels.rel.max()) if len(qrels.rel) else 0
    levels = max(max_grade, 0) + 1
    rel_levels = np.zeros((nq, levels), dtype=np.int64)
    lists: list[list[int]] = []
    for i, q in enumerate(qids):
        for grade in judged.get(q, {}).values():
            if grade >= 0:
                rel_levels[i, grade] += 1
        docs = sorted(
            ranking.get(q, {}).items(), key=lambda kv: (kv[1], kv[0].encode()), reverse=True
        )
        if max_depth is not None:
            docs = docs[: max(max_depth, 0)]
        row = []
        for doc, _ in docs:
            g = judged.get(q, {}).get(doc)
            row.append(NONPOOL if g is None else (g if g >= 0 else UNJUDGED))
        lists.append(row)
    depth = max((len(r) for r in lists), default=0)
    rel = np.full((nq, depth), PAD, dtype=np.int64)
    for i, row in enumerate(lists):
        rel[i, : len(row)] = row
    counts = np.array([len(r) for r in lists], dtype=np.int64)
    if judged_only:
        rel, counts = _condense(rel)
    missing = np.array([q not in ranking for q in qids], dtype=np.bool_)
    return Ranked(qids, rel, counts, rel_levels, missing, rel_level, max_grade)
