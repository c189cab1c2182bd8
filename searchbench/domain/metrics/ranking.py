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
    rel: Int64Array  # [n_queries, depth] codes, see module doc
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


def _eval_qids(qrels: QrelsTable, run: RunTable, complete: bool) -> list[str]:
    judged = set(qrels.qids)
    chosen = judged if complete else judged & set(run.qids)
    return sorted(chosen, key=lambda q: q.encode("utf-8"))


def build_ranked(
    qrels: QrelsTable,
    run: RunTable,
    *,
    rel_level: int = 1,
    complete: bool = False,
    max_depth: int | None = None,
) -> Ranked:
    qids = _eval_qids(qrels, run, complete)
    index = {q: i for i, q in enumerate(qids)}
    nq = len(qids)

    # Qrels: per-grade counts and a hash table (query, doc) -> row.
    qmap = np.array([index.get(q, -1) for q in qrels.qids] or [-1], dtype=np.int64)
    qq = qmap[qrels.query] if len(qrels.query) else np.zeros(0, dtype=np.int64)
    keep = np.flatnonzero(qq >= 0)
    q_query, q_rel, q_doc = qq[keep], qrels.rel[keep], qrels.doc[keep]
    q_hash = qrels.doc_hash[keep]
    max_grade = int(qrels.rel.max()) if len(qrels.rel) else 0
    levels = max(max_grade, 0) + 1
    judged = q_rel >= 0
    rel_levels = np.bincount(
        q_query[judged] * levels + q_rel[judged], minlength=nq * levels
    ).reshape(nq, levels)
    qkeys = join_keys(q_query, q_hash)
    order = np.argsort(qkeys, kind="stable")
    same = np.flatnonzero(qkeys[order][1:] == qkeys[order][:-1])
    if same.size:
        a, b = order[same], order[same + 1]
        dup = q_doc[a] == q_doc[b]
        if dup.any():
            i = int(a[dup][0])
            raise DuplicateDocument(
                f"qrels: document {q_doc[i].decode('utf-8', 'replace')!r} is judged twice "
                f"for query {qids[int(q_query[i])]!r}"
            )
        return _build_ranked_slow(qrels, run, qids, rel_level, complete, max_depth)
    table = _build_table(qkeys)

    # Run: group rows by query, sort each row by score desc (ties fixed below).
    rmap = np.array([index.get(q, -1) for q in run.qids] or [-1], dtype=np.int64)
    rq = rmap[run.query] if len(run.query) else np.zeros(0, dtype=np.int64)
    rows = np.flatnonzero(rq >= 0)
    rows = rows[np.argsort(rq[rows], kind="stable")]
    rq_sorted = rq[rows]
    counts = np.bincount(rq_sorted, minlength=nq).astype(np.int64)
    depth = int(counts.max()) if nq and len(rows) else 0
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    pos = np.arange(len(rows), dtype=np.int64) - starts[rq_sorted]
    neg = np.full((nq, depth), np.inf)
    neg[rq_sorted, pos] = -run.score[rows]
    cell_row = np.full((nq, depth), -1, dtype=np.int64)
    cell_row[rq_sorted, pos] = rows
    by_score = np.argsort(neg, axis=1, kind="stable")
    ranked_rows = np.take_along_axis(cell_row, by_score, axis=1)
    sorted_neg = np.take_along_axis(neg, by_score, axis=1)
    valid = np.arange(depth)[None, :] < counts[:, None]
    if depth > 1:
        ties = (sorted_neg[:, 1:] == sorted_neg[:, :-1]) & valid[:, 1:]
        for q in np.flatnonzero(ties.any(axis=1)).tolist():
            members = ranked_rows[q, : counts[q]].tolist()
            members.sort(key=lambda r: (run.score[r], run.doc[r]), reverse=True)
            ranked_rows[q, : counts[q]] = members
    if max_depth is not None and max_depth < depth:
        depth = max(max_depth, 0)
        ranked_rows = ranked_rows[:, :depth]
        valid = valid[:, :depth]
        counts = np.minimum(counts, depth)

    # Join ranked cells with the qrels.
    rel = np.full((nq, depth), PAD, dtype=np.int64)
    flat_rows = ranked_rows[valid]
    cell_q = np.broadcast_to(np.arange(nq, dtype=np.int64)[:, None], (nq, depth))[valid]
    hits = _lookup(table, join_keys(cell_q, run.doc_hash[flat_rows]))
    found = hits >= 0
    if found.any():
        # A 64-bit key collision must not pass for a match: compare the ids themselves.
        idx = np.flatnonzero(found)
        found[idx] = run.doc[flat_rows[idx]] == q_doc[hits[idx]]
    codes = np.full(len(flat_rows), NONPOOL, dtype=np.int64)
    grades = q_rel[hits[found]]
    codes[found] = np.where(grades >= 0, grades, UNJUDGED)
    rel[valid] = codes

    present = set(run.qids)
    missing = np.array([q not in present for q in qids], dtype=np.bool_)
    return Ranked(qids, rel, counts, rel_levels.astype(np.int64), missing, rel_level, max_grade)


def _build_ranked_slow(
    qrels: QrelsTable,
    run: RunTable,
    qids: list[str],
    rel_level: int,
    complete: bool,
    max_depth: int | None,
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
    missing = np.array([q not in ranking for q in qids], dtype=np.bool_)
    return Ranked(qids, rel, counts, rel_levels, missing, rel_level, max_grade)
