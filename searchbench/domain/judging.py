"""What an LLM judge is asked and how its answer is read: no HTTP, no Django.

A judge's prompt template is plain text with ``{{name}}`` placeholders:

- ``{{query}}``             the query text
- ``{{information_need}}``  what the searcher wants (may be empty)
- ``{{guidelines}}``        the book's guidelines (Markdown)
- ``{{scale}}``             the grades, one a line with their labels (``3 = Perfect``)
- ``{{doc}}``               the doc's fields, one ``name: value`` a line (thumbnails left out)
- ``{{doc.NAME}}``          one field of the doc (empty when the doc has none)
- ``{{doc_id}}``            the doc's id

The model must answer with a JSON object ``{"judgment": <a grade of the scale>, "explanation":
"…"}``. :func:`read_reply` turns an answer into a :class:`Verdict`: a grade of the scale, or
"can't rate" with the reason (no JSON, a refusal, a grade off the scale). It never guesses: a
grade is taken only when the reply names one of the scale's grades (or, exactly, its label).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from searchbench.domain.formats.interchange import number_text

DEFAULT_PROMPT_TEMPLATE = """\
You are judging how relevant a search result is to a search query.

Query: {{query}}
Information need: {{information_need}}

Guidelines:
{{guidelines}}

Grades:
{{scale}}

The result:
{{doc}}

Answer with one JSON object and nothing else:
{"judgment": <one of the grades above, as a number>, "explanation": "<one or two sentences>"}
If you cannot judge the result, answer {"judgment": null, "explanation": "<why>"}.
"""

PLACEHOLDERS = ("query", "information_need", "guidelines", "scale", "doc", "doc_id")
IMAGE_FIELDS = ("thumb", "image")  # field-spec roles whose values are image URLs
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][\w.-]*)\s*\}\}")
_FENCE = re.compile(r"```[A-Za-z0-9_-]*\s*\n?(.*?)```", re.DOTALL)
MAX_REASON_TEXT = 200


class PromptError(ValueError):
    """A prompt template with placeholders this module does not know."""


@dataclass(frozen=True)
class PromptInput:
    """What the judge is told about one pair."""

    query: str
    doc_id: str
    doc_fields: Mapping[str, Any]
    scale: Sequence[float]
    labels: Mapping[str, str] = field(default_factory=dict)
    information_need: str = ""
    guidelines: str = ""


@dataclass(frozen=True)
class Verdict:
    """A judge's answer on one pair: ``rating`` is a grade of the scale, or None with ``reason``
    saying why it is "can't rate"."""

    rating: float | None
    explanation: str = ""
    reason: str = ""

    @property
    def rated(self) -> bool:
        return self.rating is not None


def check_template(template: str) -> None:
    """Raise PromptError naming every unknown placeholder (``{{doc.NAME}}`` is always known)."""
    unknown = sorted(
        {
            name
            for name in _PLACEHOLDER.findall(template)
            if name not in PLACEHOLDERS and not name.startswith("doc.")
        }
    )
    if unknown:
        known = ", ".join(_braced(n) for n in (*PLACEHOLDERS, "doc.FIELD"))
        raise PromptError(
            f"unknown placeholder{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(_braced(n) for n in unknown)}; known: {known}"
        )


def _braced(name: str) -> str:
    return "{{" + name + "}}"


def _value_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ", ".join(_value_text(v) for v in value)
    return json.dumps(value, ensure_ascii=False, default=str)


def render_prompt(template: str, inp: PromptInput) -> str:
    """The template with its placeholders filled in from ``inp``."""
    check_template(template)
    scale = "\n".join(
        f"{number_text(g)} = {inp.labels[number_text(g)]}"
        if inp.labels.get(number_text(g))
        else number_text(g)
        for g in inp.scale
    )
    doc = "\n".join(
        f"{name}: {_value_text(value)}"
        for name, value in inp.doc_fields.items()
        if name not in IMAGE_FIELDS and value not in (None, "", [])
    )
    values = {
        "query": inp.query,
        "information_need": inp.information_need,
        "guidelines": inp.guidelines,
        "scale": scale,
        "doc": doc,
        "doc_id": inp.doc_id,
    }

    def fill(m: re.Match[str]) -> str:
        name = m.group(1)
        if name.startswith("doc."):
            value = inp.doc_fields.get(name[4:])
            return "" if value is None else _value_text(value)
        return values[name]

    return _PLACEHOLDER.sub(fill, template)


def image_url(inp: PromptInput) -> str | None:
    """The doc's thumbnail (or image) URL when it has an http(s) one."""
    for name in IMAGE_FIELDS:
        value = inp.doc_fields.get(name)
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            return value
    return None


def build_messages(
    template: str, inp: PromptInput, *, vision: bool = False
) -> list[dict[str, Any]]:
    """The chat messages for one pair: the rendered prompt as the user's message, with the doc's
    thumbnail as an image part when the model takes images and the doc has one."""
    text = render_prompt(template, inp)
    url = image_url(inp) if vision else None
    if url is None:
        return [{"role": "user", "content": text}]
    return [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": text},
                {"type": "image_url", "image_url": {"url": url}},
            ],
        }
    ]


def prompt_hash(
    model: str,
    temperature: float,
    messages: Sequence[Mapping[str, Any]],
    *,
    scale: Sequence[float],
    labels: Mapping[str, str] | None,
) -> str:
    """The identity of a request and of the reading of its answer: the same model, temperature
    and messages give the same answer (as far as anything does), and the same scale and labels
    read it as the same verdict, so a judge never sends one twice. The scale and labels count
    apart from the messages because a template need not show them (without ``{{scale}}`` two
    books on 0-3 and 0-1 send the very same prompt, and a 3 is a grade of only one of them)."""
    canonical = json.dumps(
        {
            "model": model,
            "temperature": float(temperature),
            "messages": list(messages),
            "scale": [float(g) for g in scale],
            "labels": dict(labels or {}),
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _short(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= MAX_REASON_TEXT else flat[:MAX_REASON_TEXT] + "…"


def _json_object(text: str) -> dict[str, Any] | None:
    """The JSON object in a reply: the whole reply, a Markdown fence's content, or the text from
    the first ``{`` to the last ``}``."""
    candidates = [text.strip()]
    candidates += [m.strip() for m in _FENCE.findall(text)]
    start, end = text.find("{"), text.rfind("}")
    if 0 <= start < end:
        candidates.append(text[start : end + 1])
    for candidate in candidates:
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return None


def _as_grade(value: Any, scale: Sequence[float], labels: Mapping[str, str]) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip()
        try:
            number = float(text)
        except ValueError:
            # Exactly a grade's label ("Perfect") names that grade; anything else does not.
            named = [
                g for g in scale if labels.get(number_text(g), "").casefold() == text.casefold()
            ]
            return float(named[0]) if len(named) == 1 and text else None
    else:
        return None
    if not math.isfinite(number):
        return None
    return number if any(number == float(g) for g in scale) else None


def read_reply(
    content: str | None,
    scale: Sequence[float],
    labels: Mapping[str, str] | None = None,
    *,
    refusal: str | None = None,
) -> Verdict:
    """A verdict from the model's reply (``content``; ``refusal``: the API's refusal field)."""
    labels = labels or {}
    if refusal:
        return Verdict(None, "", f"the model refused: {_short(refusal)}")
    if content is None or not content.strip():
        return Verdict(None, "", "the model's reply was empty")
    obj = _json_object(content)
    if obj is None:
        return Verdict(None, "", f"the reply is not JSON: {_short(content)!r}")
    if "judgment" in obj:
        value = obj["judgment"]
    elif "judgement" in obj:
        value = obj["judgement"]
    else:
        return Verdict(None, "", f'the reply has no "judgment": {_short(content)!r}')
    explanation = obj.get("explanation")
    explanation = explanation if isinstance(explanation, str) else ""
    if value is None:
        return Verdict(None, explanation, "the model could not judge it")
    grade = _as_grade(value, scale, labels)
    if grade is None:
        grades = ", ".join(number_text(g) for g in scale)
        return Verdict(
            None,
            explanation,
            f"judgment {_short(json.dumps(value, ensure_ascii=False))} is not a grade of the "
            f"scale ({grades})",
        )
    return Verdict(grade, explanation)
