"""The built-in engine's query text, read the way Lucene's classic query parser reads it.

tantivy's QueryParser makes a phrase query of a word its analyzer splits into several terms
(``computer-ready``, ``e.g.``, ``boundary-layer``). Lucene's classic parser — behind Solr's
standard and edismax parsers and Elasticsearch's ``query_string`` — splits the text on whitespace,
and since Lucene 4 (``autoGeneratePhraseQueries=false``) each term the analyzer makes of a word is
a clause of its own, joined with the default operator. So that a case means the same on every
engine, such a word is rewritten as a group of its terms before tantivy parses the text::

    computer-ready         -> (computer ready)         any of them (operator or), all (and)
    title:e.g.^2           -> title:(e g)^2
    +boundary\\-layer      -> +(boundary layer)
    "computer-ready"       -> "computer-ready"          a phrase stays a phrase

Only such words change; phrases, ranges, field names, boosts, operators and words holding query
syntax (``a*``, ``a~2``) are copied as they are, so tantivy's own errors are unchanged.
"""

from __future__ import annotations

import tantivy

from searchbench.domain.templating import escape_tantivy

# Every searchable field's analyzer starts with tantivy's simple tokenizer (see index.ANALYZERS):
# it alone decides where a word splits; the filters (lower-case, stop words, stemming) run when
# tantivy parses the rewritten text.
_SPLITTER = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple()).build()

_ENDS_WORD = frozenset("()[]{}\"'^:")  # besides whitespace
_CLOSING = {"[": "]", "{": "}"}  # ranges and IN [...] sets: copied whole
_SYNTAX_IN_WORD = frozenset("*?~")  # a wildcard, fuzzy or slop word is the user's own syntax
_SYNTAX_FIRST = frozenset("<>=/")  # a range bound (>=5) or a regex


def split_compound_words(text: str) -> str:
    """``text`` with every word that analyses into several terms written as a group of them."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace() or ch in "()+-":
            out.append(ch)
            i += 1
        elif ch in "\"'":
            end = _closing_quote(text, i)
            out.append(text[i:end])
            i = end
        elif ch in _CLOSING:
            end = text.find(_CLOSING[ch], i + 1)
            end = n if end < 0 else end + 1
            out.append(text[i:end])
            i = end
        elif ch == "^":  # a boost: the number is not a word
            end = i + 1
            while end < n and (text[end].isdigit() or text[end] == "."):
                end += 1
            out.append(text[i:end])
            i = end
        elif ch in _ENDS_WORD:
            out.append(ch)
            i += 1
        else:
            end = _word_end(text, i)
            word = text[i:end]
            field_name = end < n and text[end] == ":"
            out.append(word if field_name else _split(word))
            i = end
    return "".join(out)


def _closing_quote(text: str, start: int) -> int:
    """The index after the quote that closes the one at ``start`` (the end when none does)."""
    i = start + 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == text[start]:
            return i + 1
        i += 1
    return len(text)


def _word_end(text: str, start: int) -> int:
    i = start
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch.isspace() or ch in _ENDS_WORD:
            break
        i += 1
    return min(i, len(text))


def _split(word: str) -> str:
    if word.isalnum():  # the common case: one term (Python's alphanumerics are tantivy's too)
        return word
    if word[0] in _SYNTAX_FIRST:
        return word
    plain: list[str] = []
    i = 0
    while i < len(word):
        if word[i] == "\\" and i + 1 < len(word):
            plain.append(word[i + 1])
            i += 2
            continue
        if word[i] in _SYNTAX_IN_WORD:
            return word
        plain.append(word[i])
        i += 1
    terms = _SPLITTER.analyze("".join(plain))
    if len(terms) < 2:
        return word
    return "(" + " ".join(escape_tantivy(t) for t in terms) + ")"
