"""Query templates in Quepid's syntax.

A try's query template is turned into an engine request by substituting placeholders:

- ``#$query##``            the query text
- ``#$keyword1##`` …       the query split on spaces/commas (1-based); a missing keyword is empty
- ``#$keyword##``          all keywords (a list where a typed value is possible, else space-joined)
- ``#$qOption.a.b##``      a value from the query/case/endpoint options (nested keys)
- ``#$name|default##``     any of the above with a fallback when it has no value
- ``##name##``             a curator variable of the try (e.g. ``"boost": ##title_boost##``)

Two template forms exist, chosen by the first non-blank character:

- *params* (Solr style): ``q=#$query##&defType=edismax&qf=title^2 body``. The template is split on
  ``&`` (and line breaks) *before* substitution, so a query containing ``&`` or ``=`` cannot add
  parameters; values are raw text and the HTTP layer URL-encodes them.
- *json* (Elasticsearch, OpenSearch, the local engine): inside a JSON string a placeholder is
  JSON-escaped; a string that is exactly one placeholder (``"#$qOption.size##"``) is replaced by the
  typed value (number, bool, object); outside strings (``"boost": ##b##``) numbers go in as written.

With the try's escape flag on, the query and keywords get Lucene query-syntax characters
backslash-escaped (the same set Quepid escapes), so ``C++`` or ``a:b`` search literally.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlencode

from searchbench.domain import safejson
from searchbench.domain.errors import PositionedError

TemplateKind = Literal["params", "json"]

# Quepid's escape set for user query text (solrUrlSvc.escapeUserQuery) plus the two characters
# Lucene's own QueryParser.escape adds: '/' starts a regex and '|' an operator.
LUCENE_SPECIAL = frozenset('+-&!()[]{}^"~*?:\\/|')
# Bare upper-case operator words; a backslash before the first letter makes them plain terms in
# both Lucene's and tantivy's query parsers.
LUCENE_OPERATORS = frozenset({"AND", "OR", "NOT"})
TANTIVY_OPERATORS = frozenset({"AND", "OR", "NOT", "IN", "TO"})

_NAME = re.compile(r"[A-Za-z_][\w]*(?:\.[\w-]+)*")
_CURATOR = re.compile(r"##([A-Za-z_]\w*)##")
_KEYWORD_SPLIT = re.compile(r"[ ,]+")
_KEYWORD_N = re.compile(r"keyword(\d+)")


class TemplateError(PositionedError):
    """A template that cannot be rendered; ``position`` is a 0-based offset into it."""


@dataclass(frozen=True)
class TemplateContext:
    """Everything a template can refer to."""

    query: str
    options: Mapping[str, Any] = field(default_factory=dict)
    curator_vars: Mapping[str, Any] = field(default_factory=dict)
    escape: bool = False
    syntax: str = "lucene"  # a key of ESCAPERS: whose query syntax `escape` protects against


@dataclass(frozen=True)
class Placeholder:
    """One ``#$name|default##`` or ``##name##`` occurrence: ``[start, end)`` in the template."""

    name: str
    default: str | None
    start: int
    end: int
    curator: bool = False


@dataclass(frozen=True)
class _Text:
    text: str
    start: int


_Token = Placeholder | _Text


def escape_lucene(text: str) -> str:
    """Backslash-escape Lucene/Solr query syntax characters and bare operators."""
    return _escape_words(text, _LUCENE_CHARS, _LUCENE_WORDS)


def escape_tantivy(text: str) -> str:
    """Backslash-escape tantivy query syntax: any ASCII punctuation (tantivy accepts ``\\`` before
    any character; apostrophes, '<', '=' and '$' are syntax there too) and bare operators."""
    return _escape_words(text, _TANTIVY_CHARS, _TANTIVY_WORDS)


def _char_class(chars: Iterable[str]) -> re.Pattern[str]:
    return re.compile("([" + "".join(re.escape(c) for c in sorted(chars)) + "])")


def _operator_words(operators: frozenset[str]) -> re.Pattern[str]:
    return re.compile(r"(?<![\\\w])(" + "|".join(sorted(operators)) + r")(?!\w)")


# Compiled once: escaping runs for every query of a run.
_LUCENE_CHARS = _char_class(LUCENE_SPECIAL)
_LUCENE_WORDS = _operator_words(LUCENE_OPERATORS)
_TANTIVY_CHARS = _char_class(
    ch for ch in map(chr, range(128)) if not ch.isalnum() and not ch.isspace()
)
_TANTIVY_WORDS = _operator_words(TANTIVY_OPERATORS)


def _escape_words(text: str, chars: re.Pattern[str], words: re.Pattern[str]) -> str:
    return words.sub(r"\\\1", chars.sub(r"\\\1", text))


ESCAPERS: dict[str, Callable[[str], str]] = {"lucene": escape_lucene, "tantivy": escape_tantivy}


def keywords(query: str) -> list[str]:
    """The query split on spaces and commas, as Quepid does."""
    return [k for k in _KEYWORD_SPLIT.split(query.strip()) if k]


def template_kind(template: str) -> TemplateKind:
    """``json`` when the template is a JSON object or array, else ``params``."""
    stripped = template.lstrip()
    return "json" if stripped[:1] in ("{", "[") else "params"


def tokenize(template: str, offset: int = 0) -> list[_Token]:
    """Split a template into literal text and placeholders; bad placeholders raise TemplateError."""
    return list(_tokenize(template, offset))


@functools.lru_cache(maxsize=512)
def _tokenize(template: str, offset: int) -> tuple[_Token, ...]:
    # Cached: a case run renders the same template (and its pieces) once per query.
    tokens: list[_Token] = []
    i = 0
    literal_start = 0
    n = len(template)
    while i < n:
        if template.startswith("#$", i):
            end = template.find("##", i + 2)
            if end < 0:
                raise TemplateError(
                    "unterminated placeholder: '#$' without a closing '##'", offset + i
                )
            body = template[i + 2 : end]
            name, sep, default = body.partition("|")
            name = name.strip()
            if not _NAME.fullmatch(name):
                raise TemplateError(f"bad placeholder name {body!r} in '#${body}##'", offset + i)
            if literal_start < i:
                tokens.append(_Text(template[literal_start:i], offset + literal_start))
            tokens.append(Placeholder(name, default if sep else None, offset + i, offset + end + 2))
            i = end + 2
            literal_start = i
            continue
        if template.startswith("##", i):
            m = _CURATOR.match(template, i)
            if m:
                if literal_start < i:
                    tokens.append(_Text(template[literal_start:i], offset + literal_start))
                tokens.append(
                    Placeholder(m.group(1), None, offset + i, offset + m.end(), curator=True)
                )
                i = m.end()
                literal_start = i
                continue
        i += 1
    if literal_start < n:
        tokens.append(_Text(template[literal_start:], offset + literal_start))
    return tuple(tokens)


def placeholders(template: str) -> list[Placeholder]:
    """Every placeholder of a template, in order (for editors and validation)."""
    return [t for t in tokenize(template) if isinstance(t, Placeholder)]


def curator_variables(template: str) -> list[str]:
    """Names of the curator variables a template uses, first occurrence order, no repeats."""
    seen: dict[str, None] = {}
    for p in placeholders(template):
        if p.curator:
            seen.setdefault(p.name, None)
    return list(seen)


def resolve(p: Placeholder, ctx: TemplateContext) -> Any:
    """The typed value of one placeholder. Strings for query/keywords; anything for options."""
    if p.curator:
        if p.name not in ctx.curator_vars:
            raise TemplateError(f"curator variable ##{p.name}## has no value in this try", p.start)
        return ctx.curator_vars[p.name]
    prep = ESCAPERS[ctx.syntax] if ctx.escape else _identity
    if p.name == "query":
        return prep(ctx.query)
    words = keywords(ctx.query)
    if p.name == "keyword":
        return [prep(w) for w in words]
    m = _KEYWORD_N.fullmatch(p.name)
    if m:
        index = int(m.group(1))
        if index < 1:
            raise TemplateError(f"keywords are numbered from 1, not #${p.name}##", p.start)
        if index <= len(words):
            return prep(words[index - 1])
        return p.default if p.default is not None else ""
    if p.name == "qOption" or p.name.startswith("qOption."):
        value: Any = ctx.options
        for key in p.name.split(".")[1:]:
            if isinstance(value, Mapping) and key in value:
                value = value[key]
            else:
                if p.default is not None:
                    return p.default
                raise TemplateError(
                    f"#${p.name}## has no value: option {p.name.removeprefix('qOption.')!r} is not set",
                    p.start,
                )
        return value
    if p.default is not None:
        return p.default
    raise TemplateError(
        f"unknown placeholder #${p.name}## (known: query, keywordN, keyword, qOption.PATH)", p.start
    )


def _identity(text: str) -> str:
    return text


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return " ".join(value)
    if value is None:
        return ""
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    return json.dumps(value, ensure_ascii=False)


def render_text(template: str, ctx: TemplateContext) -> str:
    """Plain substitution (no encoding): values as text, lists space-joined, objects as JSON."""
    return "".join(
        t.text if isinstance(t, _Text) else _as_text(resolve(t, ctx)) for t in tokenize(template)
    )


@functools.lru_cache(maxsize=512)
def _param_pieces(template: str) -> tuple[tuple[str, int, str, int], ...]:
    """``name=value`` pieces of a params template as (name, name offset, value, value offset),
    worked out once per template (a case run renders the same template for every query)."""
    pieces: list[tuple[str, int, str, int]] = []
    bounds = [(m.start(), m.end()) for m in re.finditer(r"&|\r?\n", template)]
    starts = [0, *(end for _, end in bounds)]
    ends = [*(begin for begin, _ in bounds), len(template)]
    for begin, end in zip(starts, ends, strict=True):
        piece = template[begin:end]
        start = begin + len(piece) - len(piece.lstrip())
        text = piece.strip()
        if text.startswith("?"):
            text, start = text[1:], start + 1
        if not text:
            continue
        name, sep, value = text.partition("=")
        if not sep:
            raise TemplateError(f"parameter {text!r} has no '=' (expected name=value)", start)
        pieces.append((name.strip(), start, value, start + len(name) + 1))
    return tuple(pieces)


def render_params(template: str, ctx: TemplateContext) -> list[tuple[str, str]]:
    """A Solr-style ``name=value&…`` template as (name, value) pairs with raw (unencoded) values.

    Splitting happens before substitution so user text never adds parameters. A leading ``?`` is
    ignored; blank pieces are skipped; a piece without ``=`` is an error.
    """
    params: list[tuple[str, str]] = []
    for name, name_start, value, value_start in _param_pieces(template):
        name_text = _render_piece(name, name_start, ctx)
        if not name_text:
            raise TemplateError("parameter with an empty name", name_start)
        params.append((name_text, _render_piece(value, value_start, ctx)))
    return params


def _render_piece(text: str, offset: int, ctx: TemplateContext) -> str:
    return "".join(
        t.text if isinstance(t, _Text) else _as_text(resolve(t, ctx))
        for t in tokenize(text, offset)
    )


def render_query_string(template: str, ctx: TemplateContext) -> str:
    """A params template rendered and URL-encoded (for display and GET URLs)."""
    return urlencode(render_params(template, ctx))


def render_json(template: str, ctx: TemplateContext) -> Any:
    """A JSON template rendered and parsed. Invalid JSON afterwards raises TemplateError."""
    tokens = tokenize(template)
    out: list[str] = []
    # Where each substitution stands in the rendered text and in the template (start, end of
    # each), to map a JSON error back to the template; the text between them is copied as is.
    marks: list[tuple[int, int, int, int]] = []
    in_string = False
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if isinstance(tok, _Text):
            text = tok.text
            # A string literal that is exactly one placeholder gets the typed value.
            if (
                text.endswith('"')
                and not _scan_quotes(text[:-1], in_string)
                and i + 2 < len(tokens)
                and isinstance(ph := tokens[i + 1], Placeholder)
                and isinstance(rest := tokens[i + 2], _Text)
                and rest.text.startswith('"')
            ):
                out.append(text[:-1])
                at = sum(map(len, out))
                out.append(json.dumps(resolve(ph, ctx), ensure_ascii=False))
                marks.append((at, at + len(out[-1]), ph.start - 1, ph.end + 1))
                tokens[i + 2] = _Text(rest.text[1:], rest.start + 1)
                in_string = False
                i += 2
                continue
            in_string = _scan_quotes(text, in_string)
            out.append(text)
        else:
            value = resolve(tok, ctx)
            at = sum(map(len, out))
            if in_string:
                out.append(json.dumps(_as_text(value), ensure_ascii=False)[1:-1])
            elif isinstance(value, str) and tok.curator:
                out.append(value)  # curator values are typed into the JSON as written (2.5, true)
            else:
                out.append(json.dumps(value, ensure_ascii=False))
            marks.append((at, at + len(out[-1]), tok.start, tok.end))
        i += 1
    rendered = "".join(out)
    try:
        return safejson.loads(rendered)
    except json.JSONDecodeError as exc:
        position = _map_position(exc.pos, marks)
        raise TemplateError(
            f"the template is not valid JSON after substitution: {exc.msg} "
            f"(line {exc.lineno}, column {exc.colno} of the rendered text)",
            position,
        ) from None


def _scan_quotes(text: str, in_string: bool) -> bool:
    """Whether we are inside a JSON string after ``text``, starting in state ``in_string``."""
    escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
    return in_string


def _map_position(rendered_pos: int, marks: Sequence[tuple[int, int, int, int]]) -> int:
    """The template offset of a rendered one: inside a substitution, its placeholder's start;
    elsewhere the same character of the copied text."""
    rendered_end = template_end = 0
    for r_start, r_end, t_start, t_end in marks:
        if rendered_pos < r_start:
            break
        if rendered_pos < r_end:
            return t_start
        rendered_end, template_end = r_end, t_end
    return template_end + rendered_pos - rendered_end


def render(template: str, ctx: TemplateContext) -> Any:
    """Render by the template's kind: a parsed JSON value, or a list of (name, value) params."""
    if template_kind(template) == "json":
        return render_json(template, ctx)
    return render_params(template, ctx)


def check(template: str, ctx: TemplateContext) -> None:
    """Raise TemplateError when a placeholder has no value for this query (a qOption it lacks, a
    curator variable the try lacks), without rendering: the engine renders each query once."""
    for p in placeholders(template):
        resolve(p, ctx)


def validate(template: str) -> None:
    """Raise TemplateError for syntax errors and unknown placeholders (options may be absent)."""
    for p in placeholders(template):
        if p.curator or p.default is not None:
            continue
        if p.name in ("query", "keyword", "qOption") or p.name.startswith("qOption."):
            continue
        if _KEYWORD_N.fullmatch(p.name):
            continue
        resolve(p, TemplateContext(query=""))
