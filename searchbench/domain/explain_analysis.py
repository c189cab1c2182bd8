"""Score breakdowns the way Splainer reads them: explain trees normalised into *clauses*.

Every engine describes a score differently (Lucene's ``weight(title:red in 12)`` / ``sum of:`` /
``max plus 0.1 times others of:``, tantivy's ``Boost x2 of ...`` / ``TermQuery, product of...``).
This module reduces any such tree to a flat list of :class:`Clause` — one per term, phrase,
function query, constant-score or filter clause — each with the amount it adds to the document's
score (its *contribution*) and the factors of its formula (idf, tf, freq, field length, boost …).
Contributions add up to the document's score: sums pass through, a dismax's losing clauses are
scaled by the tie-breaker, a constant boost or coord factor scales what it wraps, and a
multiplicative function (``function_score``, ``{!boost}``) becomes a clause of its own worth the
score it added on top of its query.

On that common model: :func:`compare` explains the gap between two docs clause by clause and
:func:`summarize` adds clause contributions over the top N docs of a query (data for a chart).

Pure: works on the common tree every engine answers (``domain.search.ExplainNode``) or on its
JSON (:func:`tree_from_json`, which also reads raw Lucene/tantivy explain JSON into that tree).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from searchbench.domain.search import ExplainNode

__all__ = [
    "Breakdown",
    "Clause",
    "ClauseGap",
    "ClauseShare",
    "Comparison",
    "Factor",
    "Summary",
    "TreeRow",
    "breakdown",
    "compare",
    "summarize",
    "tree_from_json",
    "tree_rows",
]


class ExplainFormatError(ValueError):
    """Stored explain JSON that is not a tree; the message says where."""


MAX_DEPTH = 200  # real trees are < 20 deep; deeper stored JSON is refused, not a RecursionError


def tree_from_json(data: Any, where: str = "explain", _depth: int = 0) -> ExplainNode:
    """The common tree's JSON (``children``/``kind``) or raw Lucene/tantivy JSON (``details``)."""
    if _depth > MAX_DEPTH:
        raise ExplainFormatError(f"{where}: nested deeper than {MAX_DEPTH} levels")
    if not isinstance(data, Mapping):
        raise ExplainFormatError(f"{where}: expected an object, got {type(data).__name__}")
    raw_value = data.get("value", 0.0)
    try:
        # None is how the JSON columns store NaN/inf (PostgreSQL and MariaDB refuse them)
        value = math.nan if raw_value is None else float(raw_value)
    except (TypeError, ValueError):
        raise ExplainFormatError(f"{where}.value: not a number: {raw_value!r}") from None
    raw_children = data.get("children", data.get("details")) or []
    if not isinstance(raw_children, list):
        raise ExplainFormatError(f"{where}.children: expected a list")
    description = str(data.get("description", "")).strip()
    kind = str(data.get("kind") or "other")
    fld, term = data.get("field"), data.get("term")
    if kind == "other":
        kind, fld2, term2 = classify(description)
        fld, term = fld or fld2, term or term2
    return ExplainNode(
        value=value,
        description=description,
        children=[
            tree_from_json(c, f"{where}.children[{i}]", _depth + 1)
            for i, c in enumerate(raw_children)
        ],
        kind=kind,
        field=str(fld) if fld is not None else None,
        term=str(term) if term is not None else None,
    )


# --- recognising nodes ---------------------------------------------------------------------------

_WEIGHT = re.compile(r"^weight\((.*) in -?\d+\)")
_FIELD_TERM = re.compile(r"^([\w.@-]+):(.*)$")
_SYNONYM = re.compile(r"^Synonym\(([\w.@-]+):")
_TANTIVY_TERM = re.compile(r"^(?:TermQuery|Phrase\w*).*?\s([\w.@-]+):(.+)$")
_TIE = re.compile(r"max plus ([\d.eE+-]+) times others")
_TANTIVY_BOOST = re.compile(r"^Boost x([\d.eE+-]+)")

# How the Lucene adapters classify nodes, and the fallback when an adapter left a node as "other"
# (or for raw JSON): first matching prefix wins.
_PREFIX_KINDS: tuple[tuple[str, str], ...] = (
    ("sum of", "sum"),
    ("BooleanClause", "sum"),
    ("max of", "max"),
    ("max plus", "max"),
    ("DisjunctionMaxQuery", "max"),
    ("Boost x", "boost"),
    ("product of", "product"),
    ("min of", "product"),
    ("score(", "product"),
    ("idf", "idf"),
    ("tf", "tf"),
    ("freq / (", "tf"),
    ("fieldNorm", "norm"),
    ("queryNorm", "norm"),
    ("coord(", "coord"),
    ("FunctionQuery", "function"),
    ("function score", "function"),
    ("script score", "function"),
    ("field value function", "function"),
    ("ConstantScore", "const"),
    ("MatchAllDocsQuery", "const"),
    ("*:*", "const"),
    ("boost", "param"),
    # the numbers a BM25 formula is made of (Lucene 8+ explains each of them as a leaf)
    ("termFreq", "param"),
    ("freq", "param"),
    ("k1", "param"),
    ("b,", "param"),
    ("dl,", "param"),
    ("avgdl", "param"),
    ("n,", "param"),
    ("N,", "param"),
)

# Factor name by description prefix (the numbers a clause's formula is made of).
_FACTOR_PREFIXES: tuple[tuple[str, str], ...] = (
    ("(K1+1)", "k1+1"),
    ("idf", "idf"),
    ("freq / (", "tf"),
    ("tf", "tf"),
    ("termFreq=", "freq"),
    ("phraseFreq=", "freq"),
    ("freq,", "freq"),
    ("freq=", "freq"),
    ("n,", "n"),
    ("N,", "N"),
    ("k1,", "k1"),
    ("b,", "b"),
    ("dl,", "dl"),
    ("avgdl,", "avgdl"),
    ("fieldNorm", "fieldNorm"),
    ("queryNorm", "queryNorm"),
    ("coord(", "coord"),
    ("boost", "boost"),
)
_LEGACY_BM25 = "[PerFieldSimilarity]"  # how Elasticsearch/OpenSearch tag their term weights
_DOCFREQ = re.compile(r"docFreq=(\d+)")
_DOCCOUNT = re.compile(r"(?:docCount|maxDocs)=(\d+)")
_FREQ = re.compile(r"\bfreq=([\d.eE+-]+)")

FACTOR_LABELS: dict[str, str] = {
    "boost": "query boost (as written in the query: title^3 → 3)",
    "multiplier": "multiplies the query's score by (function_score, {!boost})",
    "weight": "outer multiplier (boosts, dismax tie-breaker, coord)",
    "idf": "idf: rarity of the term",
    "tf": "tf: term frequency, saturated and length-normalised",
    "k1+1": "k1 + 1 (the constant tantivy and Elasticsearch/OpenSearch scale BM25 by)",
    "freq": "occurrences in the field",
    "n": "docs containing the term",
    "N": "docs with the field",
    "k1": "k1 (tf saturation)",
    "b": "b (length normalisation)",
    "dl": "field length",
    "avgdl": "average field length",
    "fieldNorm": "field-length norm",
    "queryNorm": "query norm",
    "coord": "coord",
}

CLAUSE_KINDS: dict[str, str] = {
    "term": "a term in a field",
    "phrase": "a phrase in a field",
    "function": "a function query / script score",
    "const": "a constant-score clause",
    "filter": "a filter (must match, adds nothing)",
    "other": "a part the engine did not break down further",
}

_FACTOR_KINDS = frozenset({"param", "idf", "tf", "norm", "coord"})
_CONSTANT_FACTORS = frozenset({"boost", "# clause", "maxBoost", "queryBoost"})


def classify(description: str) -> tuple[str, str | None, str | None]:
    """(kind, field, term) of a node from its description alone."""
    m = _WEIGHT.match(description)
    if m:
        inner = m.group(1)
        syn = _SYNONYM.match(inner)
        if syn:
            return "term", syn.group(1), inner
        ft = _FIELD_TERM.match(inner)
        if ft:
            term = ft.group(2)
            return ("phrase" if term.startswith('"') else "term"), ft.group(1), term.strip('"')
        return "term", None, inner
    tt = _TANTIVY_TERM.match(description)
    if tt:
        kind = "phrase" if description.startswith("Phrase") else "term"
        return kind, tt.group(1), tt.group(2)
    for prefix, kind in _PREFIX_KINDS:
        if description.startswith(prefix):
            return kind, None, None
    return "other", None, None


def _kind(node: ExplainNode) -> str:
    if node.kind and node.kind != "other":
        return node.kind
    return classify(node.description)[0]


def _field_term(node: ExplainNode) -> tuple[str | None, str | None]:
    if node.field or node.term:
        return node.field, node.term
    _, fld, term = classify(node.description)
    return fld, term


def _has_query(node: ExplainNode) -> bool:
    """Whether a node scores query clauses (as opposed to being a factor of a formula)."""
    kind = _kind(node)
    if kind in ("term", "phrase", "const"):
        return True
    return any(_has_query(c) for c in node.children)


def _is_constant_factor(node: ExplainNode) -> bool:
    kind = _kind(node)
    if kind in _FACTOR_KINDS and not node.children:
        return True
    if kind in ("norm", "coord", "param"):
        return True
    return node.description.strip() in _CONSTANT_FACTORS or node.description.startswith("maxBoost")


def _stable(description: str) -> str:
    """A description without per-doc numbers, so the same clause gets the same key in every doc."""
    text = re.sub(r"=\s*-?[\d.]+(?:[eE][+-]?\d+)?", "", description)
    text = re.sub(r"\s+in -?\d+\)", ")", text)
    text = re.sub(r",?\s*(?:product|sum|max|min) of:?$", "", text.strip())
    text = re.sub(r",?\s*result of:?$", "", text)
    return text.rstrip(": ,").strip() or description.strip()


def _function_label(node: ExplainNode) -> str:
    """The most telling description inside a function part (skips generic combinators)."""
    generic = ("sum of", "product of", "min of", "max of", "function score", "_score")
    stack = [node]
    while stack:
        n = stack.pop(0)
        desc = n.description.strip()
        if desc and not desc.startswith(generic) and not _is_constant_factor(n):
            return _stable(desc)
        stack.extend(n.children)
    return _stable(node.description)


# --- the clause model ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Factor:
    name: str
    value: float

    @property
    def label(self) -> str:
        return FACTOR_LABELS.get(self.name, self.name)


@dataclass(frozen=True)
class Clause:
    """One scoring clause of one document."""

    key: str  # the same clause has the same key in every doc of a query
    label: str
    kind: str  # a CLAUSE_KINDS key
    field: str | None
    term: str | None
    score: float  # the clause node's own value
    weight: float  # what the tree above multiplies it by (boosts, dismax tie-breaker, coord)
    contribution: float  # score × weight: what the clause adds to the document's score
    factors: tuple[Factor, ...] = ()
    path: tuple[int, ...] = ()  # child indexes from the root to the clause node

    def factor(self, name: str) -> float | None:
        for f in self.factors:
            if f.name == name:
                return f.value
        return None

    @property
    def similarity(self) -> str | None:
        names = {f.name for f in self.factors}
        if "fieldNorm" in names or "queryNorm" in names:
            return "TF-IDF"
        if {"k1", "b"} & names or "k1+1" in names or ("idf" in names and "tf" in names):
            return "BM25"
        return None


@dataclass(frozen=True)
class Breakdown:
    total: float
    clauses: tuple[Clause, ...]  # biggest contribution first

    @property
    def explained(self) -> float:
        return sum(c.contribution for c in self.clauses)

    @property
    def unexplained(self) -> float:
        """What the clause model could not attribute (rounding, or an unknown combinator)."""
        return self.total - self.explained

    def by_key(self) -> dict[str, Clause]:
        return {c.key: c for c in self.clauses}

    def by_field(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for c in self.clauses:
            name = c.field or f"({c.kind})"
            out[name] = out.get(name, 0.0) + c.contribution
        return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def _factors(node: ExplainNode) -> tuple[Factor, ...]:
    """The named numbers inside one clause's subtree, first occurrence of each name."""
    found: dict[str, float] = {}

    def note(name: str, value: float) -> None:
        found.setdefault(name, value)

    def visit(n: ExplainNode) -> None:
        desc = n.description.strip()
        m = _FREQ.search(desc)
        if m and desc.startswith(("score(", "tf(", "phraseFreq", "termFreq")):
            note("freq", float(m.group(1)))
        if desc.startswith("idf("):  # classic: idf(docFreq=3, docCount=1400)
            if d := _DOCFREQ.search(desc):
                note("n", float(d.group(1)))
            if d := _DOCCOUNT.search(desc):
                note("N", float(d.group(1)))
        for prefix, name in _FACTOR_PREFIXES:
            if desc.startswith(prefix) and (name != "boost" or desc == "boost"):
                note(name, n.value)
                break
        # A phrase's idf is a sum of its terms' idfs: their n/N would be one term's, not the phrase's.
        if desc.startswith("idf") and any(c.description.startswith("idf") for c in n.children):
            return
        for c in n.children:
            visit(c)

    visit(node)
    if _LEGACY_BM25 in node.description and "boost" in found and "k1" in found:
        # Elasticsearch/OpenSearch's default BM25 (LegacyBM25Similarity) passes boost × (k1 + 1)
        # as Lucene's "boost", so title^3 shows as 6.6: report the boost the query asked for.
        found.setdefault("k1+1", found["k1"] + 1)
        found["boost"] = found["boost"] / found["k1+1"]
    order = list(FACTOR_LABELS)
    return tuple(
        Factor(name, value)
        for name, value in sorted(
            found.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order)
        )
    )


def _clause(
    node: ExplainNode, weight: float, path: tuple[int, ...], kind: str | None = None
) -> Clause:
    kind = kind or _kind(node)
    fld, term = _field_term(node)
    if kind in ("term", "phrase") and (fld or term):
        shown = f'"{term}"' if kind == "phrase" and term else (term or "")
        key = f"{fld}:{shown}" if fld else shown
        label = key
    elif kind == "function":
        key = _function_label(node)
        label = f"ƒ {key}"
    else:
        key = _stable(node.description) or kind
        label = key
        if kind not in CLAUSE_KINDS:
            kind = "other"
    if len(label) > 100:
        label = label[:99] + "…"
    return Clause(
        key=f"{kind}|{key}",
        label=label,
        kind=kind,
        field=fld,
        term=term,
        score=node.value,
        weight=weight,
        contribution=node.value * weight,
        factors=_factors(node),
        path=path,
    )


def breakdown(tree: ExplainNode) -> Breakdown:
    """One document's score as clauses whose contributions add up to its score."""
    found: list[Clause] = []

    def emit(c: Clause) -> None:
        found.append(c)

    def visit(n: ExplainNode, weight: float, path: tuple[int, ...], filtering: bool) -> None:
        kind = _kind(n)
        kids = list(n.children)
        if filtering and kind in ("term", "phrase", "const", "function", "other"):
            emit(_clause(n, 0.0, path, "filter"))
            return
        if kind in ("term", "phrase", "const") or (kind == "function" and not _has_query(n)):
            emit(_clause(n, weight, path))
            return
        if n.description.startswith("match on required clause"):
            # Lucene's FILTER clause: matched, multiplied by 0 (the "# clause" child).
            for i, c in enumerate(kids):
                if c.description.strip() != "# clause":
                    visit(c, 0.0, (*path, i), True)
            return
        if not kids:
            if kind not in _FACTOR_KINDS and n.value:
                emit(_clause(n, weight, path))
            return
        if kind == "sum":
            for i, c in enumerate(kids):
                visit(c, weight, (*path, i), filtering)
            return
        if kind == "max":
            best = max(range(len(kids)), key=lambda i: kids[i].value)
            rest = sum(c.value for i, c in enumerate(kids) if i != best)
            tie = 0.0
            if m := _TIE.search(n.description):
                tie = float(m.group(1))
            elif rest:
                tie = max(0.0, (n.value - kids[best].value) / rest)
            for i, c in enumerate(kids):
                visit(c, weight if i == best else weight * tie, (*path, i), filtering)
            return
        queries = [i for i, c in enumerate(kids) if _has_query(c)]
        others = [kids[i] for i in range(len(kids)) if i not in queries]
        if len(queries) == 1:
            q = kids[queries[0]]
            multiplicative = kind == "function" or not all(_is_constant_factor(o) for o in others)
            if multiplicative and not math.isclose(n.value, q.value, rel_tol=1e-6, abs_tol=1e-9):
                # function_score / {!boost}: the query keeps its own score and the function gets
                # what it added on top, so both show and the sum still holds.
                visit(q, weight, (*path, queries[0]), filtering)
                factor_idx = [i for i in range(len(kids)) if i not in queries]
                extra, extra_path = (
                    (kids[factor_idx[0]], (*path, factor_idx[0]))
                    if len(factor_idx) == 1
                    else (n, path)
                )
                fn = _clause(extra, weight, extra_path, "function")
                multiplier = Factor("multiplier", n.value / q.value) if q.value else None
                found.append(
                    Clause(
                        key=fn.key,
                        label=fn.label,
                        kind="function",
                        field=None,
                        term=None,
                        score=n.value - q.value,
                        weight=weight,
                        contribution=(n.value - q.value) * weight,
                        factors=((multiplier,) if multiplier else ()) + fn.factors,
                        path=extra_path,
                    )
                )
                return
            scale = n.value / q.value if q.value else 0.0
            visit(q, weight * scale, (*path, queries[0]), filtering)
            return
        if not queries:
            emit(_clause(n, weight, path, "function" if kind == "function" else None))
            return
        total = sum(kids[i].value for i in queries)
        if math.isclose(total, n.value, rel_tol=1e-4, abs_tol=1e-6):
            for i in queries:
                visit(kids[i], weight, (*path, i), filtering)
        else:
            emit(_clause(n, weight, path))

    visit(tree, 1.0, (), False)
    merged: dict[str, Clause] = {}
    for c in found:
        prev = merged.get(c.key)
        if prev is None:
            merged[c.key] = c
        else:  # the same clause reached twice (e.g. a term in two boolean branches)
            merged[c.key] = Clause(
                key=c.key,
                label=c.label,
                kind=c.kind,
                field=c.field,
                term=c.term,
                score=prev.score + c.score,
                weight=(prev.contribution + c.contribution) / (prev.score + c.score)
                if prev.score + c.score
                else 1.0,
                contribution=prev.contribution + c.contribution,
                factors=prev.factors,
                path=prev.path,
            )
    clauses = sorted(merged.values(), key=lambda c: (-c.contribution, c.key))
    return Breakdown(total=tree.value, clauses=tuple(clauses))


# --- why is A above B ----------------------------------------------------------------------------


def _num(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.4g}"


@dataclass(frozen=True)
class ClauseGap:
    key: str
    label: str
    kind: str
    a: Clause | None
    b: Clause | None

    @property
    def a_value(self) -> float:
        return self.a.contribution if self.a else 0.0

    @property
    def b_value(self) -> float:
        return self.b.contribution if self.b else 0.0

    @property
    def delta(self) -> float:
        return self.a_value - self.b_value

    @property
    def reasons(self) -> tuple[str, ...]:
        """Plain words for why this clause scores differently in A and B."""
        if self.kind == "filter":
            return ("filter: adds nothing to either",)
        if self.a is None:
            return ("matches only in B",)
        if self.b is None:
            return ("matches only in A",)
        out: list[str] = []
        a, b = self.a, self.b
        for name, words in (
            ("freq", "occurs {a} vs {b} times"),
            ("dl", "field length {a} vs {b}"),
            ("fieldNorm", "field norm {a} vs {b}"),
            ("n", "docs with the term {a} vs {b} (different shards or segments?)"),
            ("boost", "query boost {a} vs {b}"),
        ):
            va, vb = a.factor(name), b.factor(name)
            if va is not None and vb is not None and not math.isclose(va, vb, rel_tol=1e-6):
                out.append(words.format(a=_num(va), b=_num(vb)))
        if not math.isclose(a.weight, b.weight, rel_tol=1e-6):
            out.append(f"weighted ×{_num(a.weight)} vs ×{_num(b.weight)}")
        if not out and not math.isclose(a.score, b.score, rel_tol=1e-6):
            what = "function adds" if self.kind == "function" else "clause score"
            out.append(f"{what} {_num(a.score)} vs {_num(b.score)}")
        return tuple(out) or ("same in both",)


@dataclass(frozen=True)
class Comparison:
    a_total: float
    b_total: float
    rows: tuple[ClauseGap, ...]  # biggest |delta| first

    @property
    def gap(self) -> float:
        return self.a_total - self.b_total

    @property
    def unexplained(self) -> float:
        return self.gap - sum(r.delta for r in self.rows)

    def headline(self, a_name: str = "A", b_name: str = "B") -> str:
        if math.isclose(self.a_total, self.b_total, rel_tol=1e-9, abs_tol=1e-12):
            return f"{a_name} and {b_name} score the same ({_num(self.a_total)})."
        hi, lo = (a_name, b_name) if self.gap > 0 else (b_name, a_name)
        text = f"{hi} scores {_num(abs(self.gap))} more than {lo}"
        helping = [r for r in self.rows if r.delta * self.gap > 0]
        if helping:
            top = helping[0]
            text += f"; the biggest part is {top.label} ({top.delta:+.4g}: {top.reasons[0]})"
        return text + "."


def compare(a: ExplainNode, b: ExplainNode) -> Comparison:
    """Clause by clause, why doc A's score differs from doc B's (biggest difference first)."""
    ba, bb = breakdown(a).by_key(), breakdown(b).by_key()
    keys = list(dict.fromkeys([*ba, *bb]))
    rows = []
    for key in keys:
        ca, cb = ba.get(key), bb.get(key)
        ref = ca or cb
        assert ref is not None
        rows.append(ClauseGap(key=key, label=ref.label, kind=ref.kind, a=ca, b=cb))
    rows.sort(key=lambda r: (-abs(r.delta), r.key))
    return Comparison(a_total=a.value, b_total=b.value, rows=tuple(rows))


@dataclass(frozen=True)
class FieldGap:
    field: str  # the clauses' field, or "(kind)" for clauses on none (functions, constants)
    before: float  # its clauses' summed contribution in the first tree
    after: float  # … in the second

    @property
    def change(self) -> float:
        return self.after - self.before


def breakdown_by_field(before: ExplainNode, after: ExplainNode) -> list[FieldGap]:
    """Per field, what one doc's score took from it in two explanations (a doc's score under two
    tries), the biggest change first: which fields gained or lost."""
    fb, fa = breakdown(before).by_field(), breakdown(after).by_field()
    gaps = [FieldGap(f, fb.get(f, 0.0), fa.get(f, 0.0)) for f in dict.fromkeys([*fb, *fa])]
    return sorted(gaps, key=lambda g: (-abs(g.change), g.field))


# --- contributions over the top N ----------------------------------------------------------------


@dataclass(frozen=True)
class ClauseShare:
    key: str
    label: str
    kind: str
    field: str | None
    per_doc: tuple[float, ...]  # contribution in each summarised doc (rank order), 0 if unmatched

    @property
    def total(self) -> float:
        return sum(self.per_doc)

    @property
    def mean(self) -> float:
        return self.total / len(self.per_doc) if self.per_doc else 0.0

    @property
    def matched(self) -> int:
        return sum(1 for v in self.per_doc if v)


@dataclass(frozen=True)
class Summary:
    docs: int  # docs with an explain among the top N
    skipped: int  # docs among the top N without one
    shares: tuple[ClauseShare, ...]  # biggest total first
    doc_totals: tuple[float, ...]

    @property
    def total(self) -> float:
        return sum(self.doc_totals)

    def share(self, clause: ClauseShare) -> float:
        """The clause's fraction of all the score the summarised docs got."""
        return clause.total / self.total if self.total else 0.0


def summarize(trees: Iterable[ExplainNode | None], top_n: int | None = None) -> Summary:
    """How much each clause contributes over the first ``top_n`` docs (all when None)."""
    chosen = list(trees)
    if top_n is not None:
        chosen = chosen[: max(0, top_n)]
    present = [t for t in chosen if t is not None]
    by_doc = [breakdown(t).by_key() for t in present]
    meta: dict[str, Clause] = {}
    for clauses in by_doc:
        for key, c in clauses.items():
            meta.setdefault(key, c)
    shares = []
    for key, c in meta.items():
        per_doc = tuple(clauses[key].contribution if key in clauses else 0.0 for clauses in by_doc)
        shares.append(
            ClauseShare(key=key, label=c.label, kind=c.kind, field=c.field, per_doc=per_doc)
        )
    shares.sort(key=lambda s: (-s.total, s.key))
    return Summary(
        docs=len(present),
        skipped=len(chosen) - len(present),
        shares=tuple(shares),
        doc_totals=tuple(t.value for t in present),
    )


# --- the readable tree ---------------------------------------------------------------------------

KIND_GLOSS: dict[str, str] = {
    "sum": "sum of the clauses below",
    "max": "best clause wins (dismax); the others count × tie-breaker",
    "product": "product of the parts below",
    "boost": "boost: multiplies the clause below",
    "term": "term match",
    "phrase": "phrase match",
    "function": "function query",
    "const": "constant score",
    "idf": "idf: how rare the term is",
    "tf": "tf: how often it occurs, saturated by k1 and normalised by field length",
    "norm": "normalisation",
    "param": "parameter",
    "coord": "coordination: share of the clauses that matched",
    "other": "",
}


@dataclass(frozen=True)
class TreeRow:
    depth: int
    path: tuple[int, ...]
    value: float
    description: str
    kind: str
    gloss: str
    field: str | None
    term: str | None
    clause: Clause | None  # set on the node that a clause of the breakdown stands for
    has_children: bool

    @property
    def path_id(self) -> str:
        return "n" + "-".join(str(i) for i in self.path) if self.path else "n"


def tree_rows(tree: ExplainNode, bd: Breakdown | None = None) -> list[TreeRow]:
    """The tree in display order (pre-order), each node with its depth and clause, if any."""
    by_path = {c.path: c for c in (bd or breakdown(tree)).clauses}
    rows: list[TreeRow] = []

    def visit(n: ExplainNode, depth: int, path: tuple[int, ...]) -> None:
        kind = _kind(n)
        fld, term = _field_term(n)
        gloss = KIND_GLOSS.get(kind, "")
        if kind == "boost" and (m := _TANTIVY_BOOST.match(n.description)):
            gloss = f"boost ×{m.group(1)}"
        rows.append(
            TreeRow(
                depth=depth,
                path=path,
                value=n.value,
                description=n.description,
                kind=kind,
                gloss=gloss,
                field=fld,
                term=term,
                clause=by_path.get(path),
                has_children=bool(n.children),
            )
        )
        for i, c in enumerate(n.children):
            visit(c, depth + 1, (*path, i))

    visit(tree, 0, ())
    return rows
