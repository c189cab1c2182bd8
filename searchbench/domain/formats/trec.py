"""TREC qrels and run files, read the way trec_eval 10.0 reads them, and fast.

qrels: ``qid iter docno rel`` (iter ignored, rel an integer; negative = pooled but unjudged).
run:   ``qid Q0 docno rank score run_id [ignored ...]`` (Q0 and rank ignored; score a number).

Fields are separated by any whitespace. A line whose first character is ``#`` is a comment; a
``#`` anywhere else is an ordinary character (MS MARCO segment ids contain one). Blank lines are
skipped. Errors raise :class:`TrecFormatError` naming the file and line.

The readers tokenise the whole file with numpy (no per-line Python work), which is what makes
evaluating a 10-million-line run from disk take seconds rather than a minute.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import numpy.typing as npt

from searchbench.domain.metrics.tables import (
    BytesArray,
    Int64Array,
    QrelsTable,
    RunTable,
    hash_bytes,
    join_keys,
)

PathLike = str | os.PathLike[str]

_WHITESPACE = np.zeros(256, dtype=np.bool_)
_WHITESPACE[[9, 10, 11, 12, 13, 32]] = True
_CHUNK = 2 * 1024 * 1024  # bytes tokenised at once: small enough for the CPU cache
_SLACK = 256  # zero bytes after each chunk, so short tokens can be copied at a fixed width
_GATHER_ROWS = 1 << 15  # rows per fixed-width copy: small enough to stay in cache


class TrecFormatError(ValueError):
    """A qrels or run file we refuse, with the file and line that made us refuse it."""

    def __init__(self, path: str, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line
        self.reason = message


@dataclass
class _Columns:
    """Selected whitespace-separated fields of every non-comment line."""

    fields: list[BytesArray]  # one fixed-width byte-string array per requested column
    line: Int64Array  # 1-based line number of each row
    first_row: list[bytes]  # every field of the first data line


def _gather(buf: npt.NDArray[np.uint8], start: Int64Array, length: Int64Array) -> BytesArray:
    """Copy byte ranges buf[start:start+length] into one fixed-width ``S`` array.

    ``buf`` must extend at least _SLACK bytes past the last token (see _tokenise).
    """
    n = len(start)
    width = max(int(length.max()) if n else 1, 1)
    if width > _SLACK:
        buf = np.concatenate([buf, np.zeros(width, dtype=np.uint8)])
    windows = np.lib.stride_tricks.sliding_window_view(buf, width)
    out = np.empty((n, width), dtype=np.uint8)
    offsets = np.arange(width, dtype=np.int64)
    for lo in range(0, n, _GATHER_ROWS):
        hi = min(n, lo + _GATHER_ROWS)
        block = windows[start[lo:hi]]
        # Bytes past the token (whitespace, the next token) become NUL padding.
        np.multiply(block, offsets[None, :] < length[lo:hi, None], out=block)
        out[lo:hi] = block
    return out.view(f"S{width}").ravel()


def _chunks(data: bytes) -> Iterator[memoryview]:
    """Pieces of at most about _CHUNK bytes, each ending at a newline (but the last)."""
    pos = 0
    while pos < len(data):
        end = min(len(data), pos + _CHUNK)
        if end < len(data):
            nl = data.rfind(b"\n", pos, end)
            end = nl + 1 if nl >= pos else data.find(b"\n", end) + 1 or len(data)
        yield memoryview(data)[pos:end]
        pos = end


def _token_bounds(buf: npt.NDArray[np.uint8]) -> tuple[Int64Array, Int64Array]:
    """Start and end (exclusive) offsets of every whitespace-separated token."""
    ws = buf <= 32
    # "<= 32" is one cheap pass; it equals the real whitespace set unless other control bytes occur.
    if buf.min() < 9 or ((buf - np.uint8(14)) < 18).any():
        ws = _WHITESPACE[buf]
    flips = np.flatnonzero(ws[1:] != ws[:-1]) + 1
    if not ws[0]:
        flips = np.concatenate([[0], flips])
    if not ws[-1]:
        flips = np.append(flips, len(buf))
    return flips[0::2].astype(np.int64), flips[1::2].astype(np.int64)


def _uniform_fields(
    buf: npt.NDArray[np.uint8],
    starts: Int64Array,
    ends: Int64Array,
    newlines: Int64Array,
    line_start: Int64Array,
    min_fields: int,
) -> int:
    """The field count if every line has that same count and none is blank or a comment, else 0.

    This is the shape of nearly every real file, and it lets the token of line i, column c be
    simply token i * n + c, with no per-token line lookup.
    """
    n_lines = len(line_start)
    if n_lines == 0 or len(starts) % n_lines:
        return 0
    width = len(starts) // n_lines
    if width < min_fields or (buf[line_start] == 35).any():
        return 0
    last_end = ends[width - 1 :: width]
    next_start = starts[width::width]
    if (last_end[: len(newlines)] > newlines[: len(last_end)]).any():
        return 0
    if (next_start <= newlines[: len(next_start)]).any():
        return 0
    return width


def _tokenise(
    data: bytes, path: str, wanted: Sequence[int], min_fields: int, what: str
) -> _Columns:
    parts: list[list[BytesArray]] = [[] for _ in wanted]
    lines: list[Int64Array] = []
    first_row: list[bytes] = []
    line_base = 0
    for piece in _chunks(data):
        buf = np.frombuffer(piece, dtype=np.uint8)
        starts, ends = _token_bounds(buf)
        newlines = np.flatnonzero(buf == 10)
        if not len(starts):  # blank lines only: nothing to read (indexing would fail below)
            line_base += len(newlines)
            continue
        n_lines = len(newlines) + (0 if buf[-1] == 10 else 1)
        line_start = np.concatenate([[0], newlines + 1])[:n_lines].astype(np.int64)
        width = _uniform_fields(buf, starts, ends, newlines, line_start, min_fields)
        if width:
            rows = np.arange(n_lines, dtype=np.int64)
            first = rows * width
            counts = np.full(n_lines, width, dtype=np.int64)
        else:
            tok_line = np.searchsorted(newlines, starts)
            counts = np.bincount(tok_line, minlength=n_lines)
            first = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
            has_tokens = counts > 0
            first_start = starts[np.minimum(first, max(len(starts) - 1, 0))]
            # A comment has '#' in column 0: its first token starts right at the line start.
            comment = has_tokens & (first_start == line_start) & (buf[first_start] == 35)
            keep = has_tokens & ~comment
            short = np.flatnonzero(keep & (counts < min_fields))
            if short.size:
                bad = int(short[0])
                raise TrecFormatError(
                    path,
                    line_base + bad + 1,
                    f"expected at least {min_fields} fields ({what}), found {int(counts[bad])}",
                )
            rows = np.flatnonzero(keep)
        if rows.size and not first_row:
            head = int(first[rows[0]])
            first_row = [
                bytes(piece[int(starts[t]) : int(ends[t])])
                for t in range(head, head + int(counts[rows[0]]))
            ]
        padded = np.zeros(len(buf) + _SLACK, dtype=np.uint8)
        padded[: len(buf)] = buf
        for slot, column in enumerate(wanted):
            tok = first[rows] + column
            parts[slot].append(_gather(padded, starts[tok], ends[tok] - starts[tok]))
        lines.append(rows + line_base + 1)
        line_base += len(newlines)
    fields = [np.concatenate(p) if p else np.zeros(0, dtype="S1") for p in parts]
    line = np.concatenate(lines) if lines else np.zeros(0, dtype=np.int64)
    return _Columns(fields, line, first_row)


def _codes(values: BytesArray) -> tuple[list[str], Int64Array]:
    """Distinct values (first-seen order) and the code of each row; cheap when runs repeat."""
    n = len(values)
    if n == 0:
        return [], np.zeros(0, dtype=np.int64)
    change = np.empty(n, dtype=np.bool_)
    change[0] = True
    change[1:] = values[1:] != values[:-1]
    heads = values[change]
    uniq, first_idx, inverse = np.unique(heads, return_index=True, return_inverse=True)
    order = np.argsort(first_idx, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    head_code = rank[inverse.ravel()]
    codes = head_code[np.cumsum(change) - 1]
    return [uniq[i].decode("utf-8") for i in order.tolist()], codes.astype(np.int64)


_POW10 = 10.0 ** np.arange(23)
_PARSE_ROWS = 1 << 15


def _plain_decimals(values: BytesArray) -> npt.NDArray[np.float64] | None:
    """Parse ``-?digits[.digits]`` tokens of at most 15 digits without a per-value call.

    The digits form an exact integer (< 2**53) and 10**decimals is exact, so one IEEE division
    gives the correctly rounded value: bit-identical to strtod. Anything else returns None.
    """
    n, width = len(values), values.dtype.itemsize
    if n == 0 or width > 22:
        return None
    m = np.ascontiguousarray(values).view(np.uint8).reshape(n, width)
    out = np.empty(n)
    for lo in range(0, n, _PARSE_ROWS):  # blocks small enough to stay in cache
        block = _decimal_block(m[lo : lo + _PARSE_ROWS])
        if block is None:
            return None
        out[lo : lo + _PARSE_ROWS] = block
    return out


def _decimal_block(m: npt.NDArray[np.uint8]) -> npt.NDArray[np.float64] | None:
    n = m.shape[0]
    whole = np.zeros(n)
    decimals = np.zeros(n, dtype=np.int64)
    digits = np.zeros(n, dtype=np.int64)
    dots = np.zeros(n, dtype=np.int64)
    for j in range(m.shape[1]):  # Horner's rule, one column of characters at a time
        c = m[:, j]
        d = c - np.uint8(48)
        is_digit = d < 10
        is_dot = c == 46
        if not (is_digit | is_dot | (c == 0) | ((c == 45) & (j == 0))).all():
            return None
        whole = np.where(is_digit, whole * 10.0 + d, whole)
        decimals += is_digit & (dots > 0)
        digits += is_digit
        dots += is_dot
    if (dots > 1).any() or (digits == 0).any() or (digits > 15).any():
        return None
    value = whole / _POW10[decimals]
    return np.where(m[:, 0] == 45, -value, value)


def _numbers(
    values: BytesArray, lines: Int64Array, path: str, kind: type, what: str
) -> npt.NDArray[np.generic]:
    try:
        return values.astype(kind)
    except ValueError:
        for i, v in enumerate(values.tolist()):
            try:
                kind(v)
            except ValueError:
                raise TrecFormatError(
                    path,
                    int(lines[i]),
                    f"{what} {v.decode('utf-8', 'replace')!r} is not {'an integer' if kind is np.int64 else 'a number'}",
                ) from None
        raise


def _check_duplicates(
    query: Int64Array,
    doc: BytesArray,
    doc_hash: npt.NDArray[np.uint64],
    qids: list[str],
    lines: Int64Array,
    path: str,
) -> None:
    keys = join_keys(query, doc_hash)
    ordered = np.sort(keys)
    if not (ordered[1:] == ordered[:-1]).any():
        return
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    same = np.flatnonzero(sorted_keys[1:] == sorted_keys[:-1])
    a, b = order[same], order[same + 1]
    real = (doc[a] == doc[b]) & (query[a] == query[b])
    if real.any():
        i, j = sorted((int(a[real][0]), int(b[real][0])))
        raise TrecFormatError(
            path,
            int(lines[j]),
            f"document {doc[j].decode('utf-8', 'replace')!r} appears twice for query "
            f"{qids[int(query[j])]!r} (first on line {int(lines[i])})",
        )


def _read_bytes(source: PathLike | IO[bytes]) -> tuple[bytes, str]:
    if isinstance(source, (str, os.PathLike)):
        try:
            return Path(source).read_bytes(), str(source)
        except OSError as exc:
            raise TrecFormatError(str(source), 0, f"cannot read: {exc.strerror or exc}") from None
    return source.read(), getattr(source, "name", "<stream>")


def load_qrels(source: PathLike | IO[bytes], judgment_groups: bool = False) -> QrelsTable:
    """Read a qrels file into columns.

    With ``judgment_groups`` (trec_eval's ``-R qrels_jg``) the second column names the judgment
    group of each line, and a document may be judged once per group.
    """
    data, path = _read_bytes(source)
    cols = _tokenise(data, path, (0, 2, 3, 1), 4, "qid iter docno rel")
    qid_bytes, doc, rel_bytes, group = cols.fields
    qids, query = _codes(qid_bytes)
    rel = _numbers(rel_bytes, cols.line, path, np.int64, "relevance").astype(np.int64)
    table = QrelsTable(qids, query, doc, rel, group if judgment_groups else None)
    if judgment_groups:
        names, codes = _codes(group)
        labels = [f"{q} (judgment group {g})" for q in qids for g in names]
        keyed = query * len(names) + codes
        _check_duplicates(keyed, doc, table.doc_hash, labels, cols.line, path)
    else:
        _check_duplicates(query, doc, table.doc_hash, qids, cols.line, path)
    return table


def load_run(source: PathLike | IO[bytes]) -> RunTable:
    """Read a run file into columns (the run id is taken from the first line)."""
    data, path = _read_bytes(source)
    cols = _tokenise(data, path, (0, 2, 4), 6, "qid Q0 docno rank score run_id")
    qid_bytes, doc, score_bytes = cols.fields
    qids, query = _codes(qid_bytes)
    plain = _plain_decimals(score_bytes)
    if plain is None:
        plain = _numbers(score_bytes, cols.line, path, np.float64, "score").astype(np.float64)
    score = plain
    run_id = cols.first_row[5].decode("utf-8", "replace") if cols.first_row else ""
    table = RunTable(qids, query, doc, score, run_id=run_id)
    table._doc_hash = hash_bytes(doc)
    _check_duplicates(query, doc, table.doc_hash, qids, cols.line, path)
    return table


def read_qrels(source: PathLike | IO[bytes]) -> dict[str, dict[str, int]]:
    """``{qid: {docno: rel}}`` from a qrels file."""
    return load_qrels(source).to_mapping()


def read_run(source: PathLike | IO[bytes]) -> dict[str, dict[str, float]]:
    """``{qid: {docno: score}}`` from a run file."""
    return load_run(source).to_mapping()


def write_run(
    target: PathLike | IO[str],
    run: Mapping[str, Sequence[tuple[str, float]]],
    run_id: str,
) -> None:
    """Write ``{qid: [(docno, score), ...]}`` (in rank order) as a TREC run.

    Scores are written with ``repr`` so they read back bit-identical (ties stay ties).
    """
    if any(c.isspace() for c in run_id) or not run_id:
        raise ValueError(f"run id {run_id!r} must be non-empty and contain no whitespace")
    buf = io.StringIO()
    for qid, docs in run.items():
        for rank, (doc, score) in enumerate(docs, start=1):
            if not doc or any(c.isspace() for c in doc):
                raise ValueError(f"query {qid!r}, rank {rank}: document id {doc!r} has whitespace")
            buf.write(f"{qid} Q0 {doc} {rank} {float(score)!r} {run_id}\n")
    if isinstance(target, (str, os.PathLike)):
        Path(target).write_text(buf.getvalue(), encoding="utf-8")
    else:
        target.write(buf.getvalue())


def iter_qrels_blocks(
    source: IO[bytes], path: str, block_size: int = 4 * _CHUNK
) -> Iterator[QrelsTable]:
    """A qrels stream read a block of whole lines at a time (``load_qrels`` on each), so a big
    file is never held whole; each table's rows are in file order. Errors name the line in the
    whole file. A document judged twice for a query in different blocks is the caller's check."""
    line_base = 0
    rest = b""
    while True:
        block = source.read(block_size)
        data = rest + block
        if block:
            cut = data.rfind(b"\n") + 1
            if not cut:
                rest = data
                continue
            data, rest = data[:cut], data[cut:]
        elif not data:
            return
        try:
            yield load_qrels(io.BytesIO(data))
        except TrecFormatError as exc:
            raise TrecFormatError(path, line_base + exc.line, exc.reason) from None
        line_base += data.count(b"\n")
        if not block:
            return


def write_qrels(target: IO[str], qrels: Iterable[tuple[str, str, int]]) -> None:
    """Write ``(qid, docno, rel)`` rows as ``qid 0 docno rel`` lines, in the order given."""
    for qid, doc, rel in qrels:
        for label, value in (("query id", qid), ("document id", doc)):
            if not value or any(c.isspace() for c in value):
                raise ValueError(
                    f"{label} {value!r} is empty or has whitespace; qrels cannot hold it"
                )
        target.write(f"{qid} 0 {doc} {int(rel)}\n")
