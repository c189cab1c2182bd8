"""The judge's prompt and the reading of its replies (no HTTP, no Django)."""

from __future__ import annotations

from typing import Any

import pytest

from searchbench.domain import judging
from searchbench.domain.formats.interchange import number_text
from searchbench.domain.judging import PromptInput, Verdict, read_reply

SCALE = [0, 1, 2, 3]
LABELS = {"0": "Poor", "1": "Fair", "2": "Good", "3": "Perfect"}

PAIR = PromptInput(
    query="trail boots",
    doc_id="d7",
    doc_fields={
        "title": "Hiking boots",
        "price": 120,
        "tags": ["hike", "boot"],
        "thumb": "https://img.example/d7.jpg",
    },
    scale=SCALE,
    labels=LABELS,
    information_need="waterproof boots for day hikes",
    guidelines="Grade 3 only for an exact match.",
)


def test_the_default_template_has_every_part_of_the_pair() -> None:
    text = judging.render_prompt(judging.DEFAULT_PROMPT_TEMPLATE, PAIR)
    for part in (
        "Query: trail boots",
        "Information need: waterproof boots for day hikes",
        "Grade 3 only for an exact match.",
        "0 = Poor\n1 = Fair\n2 = Good\n3 = Perfect",
        "title: Hiking boots\nprice: 120\ntags: hike, boot",
        '{"judgment": <one of the grades above',
    ):
        assert part in text
    assert "img.example" not in text  # the thumbnail goes as an image, not as text


def test_one_field_and_the_doc_id_by_name_and_a_missing_field_is_empty() -> None:
    text = judging.render_prompt("{{doc.title}}|{{ doc.price }}|{{doc.nope}}|{{doc_id}}", PAIR)
    assert text == "Hiking boots|120||d7"


def test_an_unknown_placeholder_is_named() -> None:
    with pytest.raises(judging.PromptError, match=r"\{\{quary\}\}"):
        judging.check_template("{{quary}} and {{doc}}")


def test_the_thumbnail_is_an_image_part_only_for_a_vision_model() -> None:
    [plain] = judging.build_messages("{{query}}", PAIR)
    assert plain == {"role": "user", "content": "trail boots"}
    [seeing] = judging.build_messages("{{query}}", PAIR, vision=True)
    assert seeing["content"] == [
        {"type": "text", "text": "trail boots"},
        {"type": "image_url", "image_url": {"url": "https://img.example/d7.jpg"}},
    ]


def test_the_prompt_hash_changes_with_the_model_the_temperature_and_the_messages() -> None:
    messages = judging.build_messages("{{query}}", PAIR)
    scale, labels = [0.0, 1.0, 2.0, 3.0], {"3": "Perfect"}

    def digest(model: str, temperature: float, sent: list[dict[str, Any]]) -> str:
        return judging.prompt_hash(model, temperature, sent, scale=scale, labels=labels)

    same = digest("m", 0, messages)
    assert same == digest("m", 0.0, [dict(m) for m in messages])
    assert len(same) == 64
    assert same != digest("m2", 0, messages)
    assert same != digest("m", 0.5, messages)
    assert same != digest("m", 0, [{"role": "user", "content": "other"}])


def test_the_prompt_hash_changes_with_the_scale_and_labels_the_answer_is_read_on() -> None:
    # A template without {{scale}} sends the same prompt for books on different scales: the
    # answer's reading differs (3 is a grade of 0-3, not of 0-1), so the identity does too.
    messages = judging.build_messages("{{query}}", PAIR)
    same = judging.prompt_hash("m", 0, messages, scale=[0, 1, 2, 3], labels={})
    assert same != judging.prompt_hash("m", 0, messages, scale=[0, 1], labels={})
    assert same != judging.prompt_hash("m", 0, messages, scale=[0, 1, 2, 3], labels={"3": "Top"})


@pytest.mark.parametrize(
    ("reply", "verdict"),
    [
        ('{"judgment": 2, "explanation": "close"}', Verdict(2.0, "close")),
        (
            '{"judgement": "3", "explanation": "exact"}',
            Verdict(3.0, "exact"),
        ),  # UK spelling, a string
        ('{"judgment": 1.0}', Verdict(1.0, "")),
        ('{"judgment": "Perfect", "explanation": "x"}', Verdict(3.0, "x")),  # exactly a label
        (
            'Sure!\n```json\n{"judgment": 0, "explanation": "off topic"}\n```\nHope it helps.',
            Verdict(0.0, "off topic"),
        ),
        ('```\n{"judgment": 2}\n```', Verdict(2.0, "")),
        ('My answer: {"judgment": 1, "explanation": "meh"} done', Verdict(1.0, "meh")),
    ],
)
def test_a_grade_of_the_scale_is_read_however_it_is_wrapped(reply: str, verdict: Verdict) -> None:
    assert read_reply(reply, SCALE, LABELS) == verdict


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (
            '{"judgment": 7, "explanation": "wow"}',
            "judgment 7 is not a grade of the scale (0, 1, 2, 3)",
        ),
        ('{"judgment": 1.5}', "judgment 1.5 is not a grade of the scale"),
        ('{"judgment": "relevant"}', 'judgment "relevant" is not a grade'),
        ('{"judgment": true}', "judgment true is not a grade"),
        ('{"judgment": "NaN"}', 'judgment "NaN" is not a grade'),
        ('{"judgment": null, "explanation": "no text"}', "the model could not judge it"),
        ('{"score": 2}', 'the reply has no "judgment"'),
        ("The result looks relevant.", "the reply is not JSON: 'The result looks relevant.'"),
        ("[2]", "the reply is not JSON"),
        ("", "the model's reply was empty"),
        (None, "the model's reply was empty"),
    ],
)
def test_anything_else_is_cant_rate_with_the_reason(reply: str | None, reason: str) -> None:
    verdict = read_reply(reply, SCALE, LABELS)
    assert verdict.rating is None and not verdict.rated
    assert reason in verdict.reason


def test_a_refusal_is_cant_rate_whatever_the_content_says() -> None:
    verdict = read_reply('{"judgment": 2}', SCALE, refusal="I can't help with that.")
    assert verdict == Verdict(None, "", "the model refused: I can't help with that.")


def test_a_long_reply_is_cut_in_the_reason() -> None:
    verdict = read_reply("word " * 500, SCALE)
    assert verdict.reason.endswith("…'") and len(verdict.reason) < 260


def test_grades_that_are_not_integers_are_written_as_they_are() -> None:
    assert [number_text(g) for g in (0, 1.0, 0.5, 2.25)] == ["0", "1", "0.5", "2.25"]
    assert read_reply('{"judgment": 0.5}', [0, 0.5, 1]).rating == 0.5
