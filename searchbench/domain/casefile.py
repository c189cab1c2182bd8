"""The case file: a relevance test as code (YAML), loaded strictly with line numbers.

A case file names an endpoint, a try (query template, field spec, rows), a scorer, optional extra
measures and the queries with their ratings (inline, a ratings CSV, TREC qrels). The loader walks
PyYAML's node tree rather than plain dicts so that every error names the file, the line and the
field (``case.yaml:12: try.rows: expected a whole number``). Unknown keys are errors with a
did-you-mean: a misspelt ``scorer`` silently falling back to a default would make a CI gate lie.
Paths inside the file are relative to the file. The schema is documented in docs/casefile.md.

What a file may expand to is bounded (:class:`_BoundedLoader`): aliases may add at most
MAX_ALIAS_NODES values and MAX_ALIAS_CHARS characters ("billion laughs"), nesting stops at
safejson.MAX_DEPTH levels, and options must be JSON values, since they reach scorers as JSON.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError

from searchbench.domain import safejson
from searchbench.domain.engine_kinds import ENGINES
from searchbench.domain.ratings import RatingsFormatError, read_ratings_csv
from searchbench.domain.scoring import UNRATED_COUNT_ZERO, UNRATED_RULES, ScorerRef
from searchbench.domain.search import EndpointConfig, TryConfig

MAX_ROWS = 10_000
DEFAULT_TIMEOUT = 10.0  # seconds; the CLI passes SEARCHBENCH_ENGINE_TIMEOUT
# What aliases (*name) may add to a file once every alias is a copy of its anchor's value: far
# more than sharing options between queries needs, far less than a server's memory.
MAX_ALIAS_NODES = 100_000
MAX_ALIAS_CHARS = 1_000_000
# How deep a measure of the whole ranking (AP, recall, bpref ...) is read: trec_eval's runs are
# 1,000 results a query, so fewer rows than that earn a warning.
RUN_DEPTH = 1000


class CaseFileError(ValueError):
    """The case file (or a file it names) is invalid."""

    def __init__(self, message: str, path: str, line: int | None = None, field: str | None = None):
        self.message = message
        self.path = path
        self.line = line
        self.field = field
        if not path:  # the message already names its file and line (e.g. a TrecFormatError)
            super().__init__(message)
            return
        where = f"{path}:{line}" if line else path
        what = f" {field}:" if field else ""
        super().__init__(f"{where}:{what} {message}")


@dataclass
class QuerySpec:
    id: str
    text: str
    ratings: dict[str, float] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    line: int | None = None


@dataclass
class CaseFile:
    name: str
    path: Path
    endpoint: EndpointConfig
    try_: TryConfig
    scorer: ScorerRef
    measures: list[str]
    queries: list[QuerySpec]
    options: dict[str, Any] = field(default_factory=dict)
    unrated_queries: str = UNRATED_COUNT_ZERO  # scoring.UNRATED_RULES
    description: str = ""
    warnings: list[str] = field(default_factory=list)
    # "try.template" -> line, so that later checks (the template, the engine) can point at the line.
    lines: dict[str, int] = field(default_factory=dict)

    def ratings(self) -> dict[str, dict[str, float]]:
        return {q.id: dict(q.ratings) for q in self.queries}

    def where(self, field_name: str) -> str:
        """``path:line: field:`` for an error about a field found after loading."""
        line = self.lines.get(field_name)
        return f"{self.path}:{line}: {field_name}:" if line else f"{self.path}: {field_name}:"


# The schema: allowed keys per mapping, and which are required. Feeds the did-you-mean and the
# docs (docs/casefile.md lists the same keys; tests/e2e checks it does).
TOP_KEYS = {
    "case": True,
    "description": False,
    "endpoint": True,
    "try": False,  # required, except for a static endpoint (see _try)
    "scorer": True,
    "measures": False,
    "options": False,
    "unrated_queries": False,
    "queries": False,
    "queries_tsv": False,
    "ratings_csv": False,
    "qrels": False,
}
ENDPOINT_KEYS = {
    "engine": True,
    "url": False,
    "index": False,
    "method": False,
    "headers": False,
    "username": False,
    "password": False,
    "password_env": False,
    "options": False,
    "timeout": False,
    "requests_per_minute": False,
}
TRY_KEYS = {
    "template": False,  # required, except for a static endpoint (see _try)
    "field_spec": False,
    "rows": False,
    "start": False,
    "escape": False,
    "curator_vars": False,
}
QUERY_KEYS = {"query": True, "id": False, "ratings": False, "options": False}
SCORER_KEYS = {"js": True}


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader with bounds on what a document expands to.

    The composer shares an anchored node between its aliases; anything that later copies the
    value (JSON for a scorer) pays for every alias in full. So each node's expanded size (values,
    characters of text) is kept as it is composed, every alias adds its anchor's expanded size to
    the file's total, and the alias that takes the total past MAX_ALIAS_NODES or MAX_ALIAS_CHARS
    is an error at its line. Composition is recursive in PyYAML, so nesting stops at
    safejson.MAX_DEPTH; an alias inside its own anchor (a value that contains itself) is refused.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._sizes: dict[int, tuple[int, int]] = {}  # id(node) -> (values, characters)
        self._added = (0, 0)  # what aliases added so far

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            anchored = self.anchors.get(event.anchor)
            if anchored is not None and id(anchored) not in self._sizes:
                raise ComposerError(
                    None,
                    None,
                    f"alias *{event.anchor} is inside the value it names: "
                    "a value that contains itself",
                    event.start_mark,
                )
            node = super().compose_node(parent, index)  # also: an undefined alias
            self._add(self._sizes[id(node)], event.start_mark)
            return node
        self._depth += 1
        if self._depth > safejson.MAX_DEPTH:
            raise ComposerError(
                None,
                None,
                f"nested deeper than {safejson.MAX_DEPTH} levels",
                self.peek_event().start_mark,  # type: ignore[no-untyped-call]
            )
        node = super().compose_node(parent, index)
        self._depth -= 1
        if node is not None:
            self._sizes[id(node)] = self._size(node)
        return node

    def _size(self, node: yaml.Node) -> tuple[int, int]:
        if isinstance(node, yaml.ScalarNode):
            return 1, len(node.value)
        children = (
            [n for pair in node.value for n in pair]
            if isinstance(node, yaml.MappingNode)
            else node.value
        )
        sizes = [self._sizes[id(child)] for child in children]
        return 1 + sum(v for v, _ in sizes), sum(c for _, c in sizes)

    def _add(self, size: tuple[int, int], mark: Any) -> None:
        values, chars = self._added[0] + size[0], self._added[1] + size[1]
        self._added = (values, chars)
        if values > MAX_ALIAS_NODES:
            what = f"{MAX_ALIAS_NODES:,} values"
        elif chars > MAX_ALIAS_CHARS:
            what = f"{MAX_ALIAS_CHARS:,} characters"
        else:
            return
        raise ComposerError(
            None, None, f"aliases expand the file by more than {what}; write the values out", mark
        )

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        # int() of more than 4,300 digits is a bare ValueError; no option needs 100.
        if len(node.value) > safejson.MAX_NUMBER_CHARS:
            raise ConstructorError(
                None,
                None,
                f"a number of {len(node.value)} characters; at most {safejson.MAX_NUMBER_CHARS}",
                node.start_mark,
            )
        return int(super().construct_yaml_int(node))


_BoundedLoader.add_constructor("tag:yaml.org,2002:int", _BoundedLoader.construct_yaml_int)


def _construct(node: yaml.Node) -> Any:
    loader = _BoundedLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


class _Reader:
    """Typed access to YAML nodes, raising CaseFileError with the node's line and field path."""

    def __init__(self, path: str, lines: dict[str, int]) -> None:
        self.path = path
        self.lines = lines

    def error(self, node: yaml.Node | None, fld: str | None, message: str) -> CaseFileError:
        return CaseFileError(message, self.path, _line(node) if node is not None else None, fld)

    def construct(self, node: yaml.Node, fld: str | None) -> Any:
        """The node's Python value; a value YAML cannot build is an error at its own line."""
        try:
            return _construct(node)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark
            line = mark.line + 1 if mark is not None else _line(node)
            raise CaseFileError(str(exc.problem), self.path, line, fld) from None

    def mapping(
        self, node: yaml.Node, fld: str, schema: Mapping[str, bool]
    ) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            raise self.error(node, fld or None, "expected a mapping (key: value lines)")
        out: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = self.construct(key_node, fld or None)
            sub = f"{fld}.{key}" if fld else str(key)
            if not isinstance(key, str):
                raise self.error(key_node, fld or None, f"key {key!r} is not a string")
            if key in out:
                raise self.error(key_node, sub, "given twice")
            if key not in schema:
                close = difflib.get_close_matches(key, list(schema), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                allowed = ", ".join(schema)
                raise self.error(key_node, sub, f"unknown key{hint}; allowed here: {allowed}")
            out[key] = value_node
            self.lines[sub] = _line(value_node)
        for key, required in schema.items():
            if required and key not in out:
                raise self.error(node, f"{fld}.{key}" if fld else key, "missing (required)")
        return out

    def scalar(self, node: yaml.Node, fld: str) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            raise self.error(node, fld, "expected a single value, not a list or mapping")
        return self.construct(node, fld)

    def string(self, node: yaml.Node, fld: str, *, empty: bool = False) -> str:
        value = self.scalar(node, fld)
        if value is None:
            value = ""
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.error(node, fld, f"expected text, got {value!r}")
        text = str(value) if not isinstance(value, str) else value
        if not empty and not text.strip():
            raise self.error(node, fld, "must not be empty")
        return text

    def integer(self, node: yaml.Node, fld: str, low: int, high: int) -> int:
        value = self.scalar(node, fld)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(node, fld, f"expected a whole number, got {value!r}")
        if not low <= value <= high:
            raise self.error(node, fld, f"must be between {low} and {high}, got {value}")
        return value

    def number(self, node: yaml.Node, fld: str) -> float:
        value = self.scalar(node, fld)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(node, fld, f"expected a number, got {value!r}")
        if not math.isfinite(value):
            raise self.error(node, fld, f"expected a finite number, got {value!r}")
        return float(value)

    def boolean(self, node: yaml.Node, fld: str) -> bool:
        value = self.scalar(node, fld)
        if not isinstance(value, bool):
            raise self.error(node, fld, f"expected true or false, got {value!r}")
        return value

    def plain_mapping(self, node: yaml.Node, fld: str) -> dict[str, Any]:
        if not isinstance(node, yaml.MappingNode):
            raise self.error(node, fld, "expected a mapping (key: value lines)")
        value = self.construct(node, fld)
        bad = [k for k in value if not isinstance(k, str)]
        if bad:
            raise self.error(node, fld, f"keys must be text, got {bad[0]!r}")
        # Options and the like reach scorers and templates as JSON.
        problem = safejson.json_problem(value)
        if problem:
            raise self.error(node, fld, problem)
        return dict(value)

    def file(self, node: yaml.Node, fld: str, base: Path) -> Path:
        path = base / self.string(node, fld)
        if not path.is_file():
            raise self.error(node, fld, f"file not found: {path}")
        return path


def _suggest(word: str, choices: Collection[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def load_case(
    path: str | Path,
    environ: Mapping[str, str] | None = None,
    check_scorer: Callable[[str], None] | None = None,
    default_timeout: float = DEFAULT_TIMEOUT,
) -> CaseFile:
    """Load and validate a case file. ``environ`` serves ``password_env``; ``check_scorer`` raises
    ValueError for a scorer or measure name it does not know (default: scoring.check_scorer);
    ``default_timeout`` is the endpoint's timeout when the file gives none."""
    path = Path(path)
    shown = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CaseFileError("file not found", shown) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CaseFileError(f"cannot read it ({exc})", shown) from None
    return parse_case(text, path, environ or {}, check_scorer, default_timeout)


def parse_case(
    text: str,
    path: Path,
    environ: Mapping[str, str],
    check_scorer: Callable[[str], None] | None = None,
    default_timeout: float = DEFAULT_TIMEOUT,
) -> CaseFile:
    shown = str(path)
    base = path.parent
    if check_scorer is None:
        from searchbench.domain.scoring import check_scorer as default_check

        check_scorer = default_check
    try:
        root = yaml.compose(text, Loader=_BoundedLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise CaseFileError(f"not valid YAML: {exc.problem or exc}", shown, line) from None
    except yaml.YAMLError as exc:
        raise CaseFileError(f"not valid YAML: {exc}", shown) from None
    if root is None:
        raise CaseFileError("the file is empty", shown, 1)
    lines: dict[str, int] = {}
    r = _Reader(shown, lines)
    top = r.mapping(root, "", TOP_KEYS)

    name = r.string(top["case"], "case")
    description = (
        r.string(top["description"], "description", empty=True) if "description" in top else ""
    )
    endpoint = _endpoint(r, top["endpoint"], environ, default_timeout)
    try_ = _try(r, top.get("try"), root, static=not ENGINES[endpoint.kind].uses_template)
    scorer = _scorer(r, top["scorer"], base, check_scorer)
    measures: list[str] = []
    if "measures" in top:
        node = top["measures"]
        if not isinstance(node, yaml.SequenceNode):
            raise r.error(node, "measures", "expected a list, e.g. [nDCG@10, AP, P@10]")
        for i, item in enumerate(node.value):
            m = r.string(item, f"measures[{i}]").strip()
            if m.startswith("js:"):
                raise r.error(item, f"measures[{i}]", "a JavaScript scorer can only be the scorer:")
            try:
                check_scorer(m)
            except ValueError as exc:
                raise r.error(item, f"measures[{i}]", str(exc)) from None
            if m not in measures:
                measures.append(m)
    options = r.plain_mapping(top["options"], "options") if "options" in top else {}
    unrated_rule = UNRATED_COUNT_ZERO
    if "unrated_queries" in top:
        unrated_rule = r.string(top["unrated_queries"], "unrated_queries").strip()
        if unrated_rule not in UNRATED_RULES:
            raise r.error(
                top["unrated_queries"],
                "unrated_queries",
                f"{unrated_rule[:40]!r}: one of {', '.join(UNRATED_RULES)}",
            )

    warnings: list[str] = []
    queries: list[QuerySpec] = []
    by_id: dict[str, QuerySpec] = {}
    origin: dict[tuple[str, str], str] = {}  # (qid, docid) -> where its rating came from

    def add_query(q: QuerySpec, fld: str, where: str) -> None:
        if q.id in by_id:
            first = by_id[q.id]
            at = f" (first on line {first.line})" if first.line else ""
            raise CaseFileError(f"query id {q.id!r} given twice{at}", where, q.line, fld)
        by_id[q.id] = q
        queries.append(q)

    if "queries" in top:
        node = top["queries"]
        if not isinstance(node, yaml.SequenceNode):
            raise r.error(node, "queries", "expected a list of queries")
        for i, item in enumerate(node.value):
            fld = f"queries[{i}]"
            q = _query(r, item, fld)
            add_query(q, fld, shown)
            for doc in q.ratings:
                origin[(q.id, doc)] = f"{shown}:{q.line}"
    if "queries_tsv" in top:
        tsv = r.file(top["queries_tsv"], "queries_tsv", base)
        for q in _read_queries_tsv(tsv):
            add_query(q, "", str(tsv))

    def rate(qid: str, doc: str, value: float, where: str) -> None:
        q = by_id[qid]
        if doc in q.ratings and q.ratings[doc] != value:
            raise CaseFileError(
                f"query {qid!r} doc {doc!r} is rated {value:g} here but "
                f"{q.ratings[doc]:g} at {origin[(qid, doc)]}",
                where,
            )
        q.ratings[doc] = value
        origin.setdefault((qid, doc), where)

    if "ratings_csv" in top:
        csv_path = r.file(top["ratings_csv"], "ratings_csv", base)
        try:
            rows = read_ratings_csv(csv_path)
        except RatingsFormatError as exc:
            raise CaseFileError(str(exc), shown, lines["ratings_csv"], "ratings_csv") from None
        had_queries = bool(queries)
        by_text: dict[str, str] = {}
        for q in queries:
            by_text.setdefault(q.text, q.id)
        for row in rows:
            where = f"{csv_path}:{row.line}"
            qid = row.query if row.query in by_id else by_text.get(row.query)
            if qid is None:
                if had_queries:
                    raise CaseFileError(
                        f"query {row.query!r} is neither an id nor the text of a query in the "
                        f"case{_suggest(row.query, list(by_id) + list(by_text))}",
                        str(csv_path),
                        row.line,
                    )
                add_query(QuerySpec(row.query, row.query, line=None), "", where)
                by_text[row.query] = row.query
                qid = row.query
            rate(qid, row.doc_id, row.rating, where)
    if "qrels" in top:
        qrels_path = r.file(top["qrels"], "qrels", base)
        if not queries:
            raise r.error(
                top["qrels"],
                "qrels",
                "qrels name topics by id only: list the queries (queries: or queries_tsv:) too",
            )
        qrels = _read_qrels(qrels_path)
        unknown = sorted(t for t in qrels if t not in by_id)
        for qid, docs in qrels.items():
            if qid not in by_id:
                continue
            for doc, value in docs.items():
                rate(qid, doc, float(value), f"{qrels_path} (topic {qid})")
        if unknown:
            sample = ", ".join(unknown[:5]) + (" ..." if len(unknown) > 5 else "")
            lines_ = lines["qrels"]
            # Qrels of a test collection often cover more topics than a case uses: a warning.
            warnings.append(
                f"{shown}:{lines_}: qrels: {len(unknown)} topic(s) match no query id and were "
                f"ignored: {sample}"
            )
    if not queries:
        raise CaseFileError(
            "no queries: give queries:, queries_tsv: or ratings_csv:", shown, _line(root)
        )
    unrated = [q.id for q in queries if not q.ratings]
    if unrated:
        sample = ", ".join(repr(u) for u in unrated[:5]) + (" ..." if len(unrated) > 5 else "")
        counted = "score 0" if unrated_rule == UNRATED_COUNT_ZERO else "are left out of the score"
        warnings.append(
            f"{shown}: {len(unrated)} query(ies) have no ratings and {counted}: {sample}"
        )
    scored = [("scorer", scorer)]
    scored += [("measures", ScorerRef.parse(m, check=False)) for m in measures]
    warnings += _rows_warnings(shown, lines, try_.rows, scored)
    return CaseFile(
        name=name,
        path=path,
        endpoint=endpoint,
        try_=try_,
        scorer=scorer,
        measures=measures,
        queries=queries,
        options=options,
        unrated_queries=unrated_rule,
        description=description,
        warnings=warnings,
        lines=lines,
    )


def _depth(scorer: ScorerRef) -> float | None:
    """How many results a scorer reads (``math.inf``: the whole ranking); None when nobody can
    tell (JavaScript) or the name is not one of ours (a test's own checker)."""
    from searchbench.domain.metrics import measure_depth
    from searchbench.domain.scorers import get_scorer

    if scorer.kind == "js":
        return None
    try:
        return get_scorer(scorer.name).k if scorer.kind == "quepid" else measure_depth(scorer.name)
    except (ValueError, KeyError):
        return None


def _rows_warnings(
    shown: str, lines: Mapping[str, int], rows: int, scored: list[tuple[str, ScorerRef]]
) -> list[str]:
    """One warning per scorer or measure that reads deeper than ``try.rows``: below rank ``rows``
    a relevant document counts as not found, so the number is quietly lower (AP over
    ``rows: 10`` gave MAP 0.061 on a collection where the whole ranking gives 0.177)."""
    out: list[str] = []
    for fld, scorer in scored:
        depth, name = _depth(scorer), scorer.name
        if depth is None or rows >= (RUN_DEPTH if math.isinf(depth) else depth):
            continue
        if math.isinf(depth):
            reads = "reads the whole ranking"
            fix = f"raise try.rows to {RUN_DEPTH}, or measure the top {rows} only, e.g. AP@{rows}"
        else:
            reads, fix = f"reads the top {depth:g}", f"raise try.rows to {depth:g}"
        line = lines.get(fld)
        where = f"{shown}:{line}" if line else shown
        out.append(
            f"{where}: {fld}: {name} {reads} but try.rows fetches {rows} per query: documents "
            f"below rank {rows} count as not found ({fix})"
        )
    return out


# A plain null value whose line goes on with a comment that starts like a placeholder.
_COMMENTED_PLACEHOLDER = re.compile(r"[ \t]+#[$#]")


def _template(r: _Reader, node: yaml.Node) -> str:
    """The try's template: text, or a mapping written in YAML, which becomes the JSON template
    text (for the engines that take JSON). Placeholders sit in its string values
    (``query: "#$query##"``; a value that is one placeholder gets the typed value, as in JSON);
    each string is checked where it stands, so an error names its own line and key."""
    if not isinstance(node, yaml.MappingNode):
        return r.string(node, "try.template")
    _check_template_strings(r, node, "try.template")
    value = r.construct(node, "try.template")
    problem = safejson.json_problem(value)
    if problem:
        raise r.error(node, "try.template", problem)
    return json.dumps(value, ensure_ascii=False)


def _check_template_strings(r: _Reader, node: yaml.Node, fld: str) -> None:
    from searchbench.domain.templating import TemplateError, validate

    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # <<: *anchor, merged into this level
                _check_template_strings(r, value_node, fld)
                continue
            key = r.construct(key_node, fld)
            if not isinstance(key, str):
                raise r.error(key_node, fld, f"keys must be text, got {key!r}")
            _check_template_strings(r, key_node, fld)
            _check_template_strings(r, value_node, f"{fld}.{key}")
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _check_template_strings(r, item, f"{fld}[{i}]")
    elif node.tag == "tag:yaml.org,2002:null" and not node.value:
        mark = node.start_mark
        if mark.buffer and _COMMENTED_PLACEHOLDER.match(mark.buffer, mark.pointer):
            raise r.error(
                node,
                fld,
                "no value: an unquoted placeholder starts a YAML comment; quote it, "
                'e.g. query: "#$query##"',
            )
    elif node.tag == "tag:yaml.org,2002:str":
        try:
            validate(node.value)
        except TemplateError as exc:
            raise r.error(node, fld, str(exc)) from None


def _endpoint(
    r: _Reader, node: yaml.Node, environ: Mapping[str, str], default_timeout: float
) -> EndpointConfig:
    m = r.mapping(node, "endpoint", ENDPOINT_KEYS)
    engine = r.string(m["engine"], "endpoint.engine").strip()
    if engine not in ENGINES:
        raise r.error(
            m["engine"],
            "endpoint.engine",
            f"unknown engine {engine!r}{_suggest(engine, ENGINES)}; one of {', '.join(ENGINES)}",
        )
    kind = ENGINES[engine]
    if "url" in m and "index" in m:
        raise r.error(m["url"], "endpoint.url", "give either index: or url:, not both")
    if "index" in m:
        if not kind.scheme:
            with_index = ", ".join(k for k, row in ENGINES.items() if row.scheme)
            raise r.error(
                m["index"],
                "endpoint.index",
                f"index: is for engines that serve what this server keeps ({with_index}); "
                f"give url: for {engine}",
            )
        url = kind.scheme + r.string(m["index"], "endpoint.index").strip()
    elif "url" in m:
        url = r.string(m["url"], "endpoint.url").strip()
    elif kind.scheme:
        raise r.error(node, "endpoint.index", f"missing: name the {engine} index (index: NAME)")
    else:
        raise r.error(node, "endpoint.url", f"missing: the {engine} URL")
    method = r.string(m["method"], "endpoint.method").strip().upper() if "method" in m else "GET"
    if method not in {"GET", "POST"}:
        raise r.error(m["method"], "endpoint.method", f"expected GET or POST, got {method!r}")
    headers: dict[str, str] = {}
    if "headers" in m:
        raw = r.plain_mapping(m["headers"], "endpoint.headers")
        for k, v in raw.items():
            if not isinstance(v, str | int | float) or isinstance(v, bool):
                raise r.error(m["headers"], f"endpoint.headers.{k}", f"expected text, got {v!r}")
            headers[k] = str(v)
    username = r.string(m["username"], "endpoint.username") if "username" in m else None
    password: str | None = None
    if "password" in m and "password_env" in m:
        raise r.error(
            m["password_env"], "endpoint.password_env", "give password or password_env, not both"
        )
    if "password" in m:
        password = r.string(m["password"], "endpoint.password", empty=True)
    if "password_env" in m:
        var = r.string(m["password_env"], "endpoint.password_env").strip()
        if var not in environ:
            raise r.error(
                m["password_env"],
                "endpoint.password_env",
                f"environment variable {var} is not set",
            )
        password = environ[var]
    if password is not None and username is None:
        raise r.error(node, "endpoint.username", "missing: a password needs a username")
    options = r.plain_mapping(m["options"], "endpoint.options") if "options" in m else {}
    timeout = r.number(m["timeout"], "endpoint.timeout") if "timeout" in m else default_timeout
    if not 0 < timeout <= 600:
        raise r.error(m["timeout"], "endpoint.timeout", "seconds, between 0 and 600")
    rpm = (
        r.integer(m["requests_per_minute"], "endpoint.requests_per_minute", 1, 1_000_000)
        if "requests_per_minute" in m
        else None
    )
    return EndpointConfig(
        kind=engine,
        url=url,
        method=method,
        headers=headers,
        username=username,
        password=password,
        options=options,
        requests_per_minute=rpm,
        timeout=float(timeout),
    )


# A static endpoint looks results up by query text: it uses no template, only rows.
STATIC_TEMPLATE = ""


def _try(r: _Reader, node: yaml.Node | None, parent: yaml.Node, *, static: bool) -> TryConfig:
    # explain=False: explain costs engine time and a case run never shows it.
    if node is None:
        if not static:
            raise r.error(parent, "try", "missing (required)")
        return TryConfig(STATIC_TEMPLATE, explain=False)
    m = r.mapping(node, "try", TRY_KEYS)
    if "template" in m:
        template = _template(r, m["template"])
    elif static:
        template = STATIC_TEMPLATE
    else:
        raise r.error(node, "try.template", "missing (required)")
    field_spec = (
        r.string(m["field_spec"], "try.field_spec", empty=True) if "field_spec" in m else ""
    )
    rows = r.integer(m["rows"], "try.rows", 1, MAX_ROWS) if "rows" in m else 10
    start = r.integer(m["start"], "try.start", 0, 1_000_000) if "start" in m else 0
    escape = r.boolean(m["escape"], "try.escape") if "escape" in m else True
    curator = r.plain_mapping(m["curator_vars"], "try.curator_vars") if "curator_vars" in m else {}
    for k, v in curator.items():
        if isinstance(v, dict | list):
            raise r.error(m["curator_vars"], f"try.curator_vars.{k}", "expected a single value")
    return TryConfig(template, field_spec, rows, start, escape, curator, explain=False)


def _scorer(r: _Reader, node: yaml.Node, base: Path, check: Callable[[str], None]) -> ScorerRef:
    if isinstance(node, yaml.MappingNode):
        m = r.mapping(node, "scorer", SCORER_KEYS)
        js_path = r.file(m["js"], "scorer.js", base)
        try:
            code = js_path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise r.error(m["js"], "scorer.js", f"cannot read {js_path}: {exc}") from None
        if not code.strip():
            raise r.error(m["js"], "scorer.js", f"{js_path} is empty")
        ref = ScorerRef.javascript(code, f"js:{r.string(m['js'], 'scorer.js')}")
        try:
            ref.check()
        except ValueError as exc:
            raise r.error(m["js"], "scorer.js", f"{js_path}: {exc}") from None
        return ref
    name = r.string(node, "scorer").strip()
    if name.startswith("js:"):
        raise r.error(
            node, "scorer", "for a JavaScript scorer write  scorer: {js: path/to/file.js}"
        )
    try:
        check(name)
        return ScorerRef.parse(name)
    except ValueError as exc:
        raise r.error(node, "scorer", str(exc)) from None


def _query(r: _Reader, node: yaml.Node, fld: str) -> QuerySpec:
    if isinstance(node, yaml.ScalarNode):
        text = r.string(node, fld)
        return QuerySpec(text, text, line=_line(node))
    m = r.mapping(node, fld, QUERY_KEYS)
    text = r.string(m["query"], f"{fld}.query")
    qid = r.string(m["id"], f"{fld}.id").strip() if "id" in m else text
    ratings: dict[str, float] = {}
    if "ratings" in m:
        rnode = m["ratings"]
        if not isinstance(rnode, yaml.MappingNode):
            raise r.error(
                rnode, f"{fld}.ratings", 'expected a mapping of doc id to rating, e.g. {"184": 2}'
            )
        for key_node, value_node in rnode.value:
            doc = r.string(key_node, f"{fld}.ratings").strip()
            if doc in ratings:
                raise r.error(key_node, f"{fld}.ratings.{doc}", "rated twice")
            ratings[doc] = r.number(value_node, f"{fld}.ratings.{doc}")
    options = r.plain_mapping(m["options"], f"{fld}.options") if "options" in m else {}
    return QuerySpec(qid, text, ratings, options, _line(node))


_TSV_SPLIT = re.compile(r"\t")


def _read_queries_tsv(path: Path) -> list[QuerySpec]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CaseFileError(f"cannot read it ({exc})", str(path)) from None
    out: list[QuerySpec] = []
    for n, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        parts = _TSV_SPLIT.split(raw, maxsplit=1)
        if len(parts) != 2:
            raise CaseFileError("expected id<TAB>query text", str(path), n)
        qid, qtext = parts[0].strip(), parts[1].strip()
        if not qid:
            raise CaseFileError("the query id is empty", str(path), n)
        if not qtext:
            raise CaseFileError(f"query {qid!r} has no text", str(path), n)
        out.append(QuerySpec(qid, qtext, line=n))
    return out


def _read_qrels(path: Path) -> dict[str, dict[str, int]]:
    from searchbench.domain.formats.trec import TrecFormatError, read_qrels

    try:
        qrels: dict[str, dict[str, int]] = read_qrels(path)
    except TrecFormatError as exc:
        raise CaseFileError(str(exc), "") from None
    return qrels
