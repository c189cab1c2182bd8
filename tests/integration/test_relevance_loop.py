"""The relevance loop through the UI, as a person does it: sign in, add a built-in-engine
endpoint, create a case, add a query, run it, rate a result, read the score."""

from __future__ import annotations

import re

import httpx

from tests.integration.html import Page
from tests.integration.jobs import wait_for_jobs


def _submit(
    client: httpx.Client, page_url: str, form_action: str, data: dict[str, str]
) -> httpx.Response:
    response = client.post(form_action or page_url, data=data)
    assert response.status_code == 200, f"POST {form_action or page_url}: {response.status_code}"
    return response


def _float(text: str) -> float:
    match = re.search(r"-?\d+(?:\.\d+)?", text)
    assert match, f"no number in {text!r}"
    return float(match.group())


def test_it_runs_the_relevance_loop_over_the_built_in_engine(
    signed_in: httpx.Client, index_and_query: tuple[str, str, str | None], unique: str
) -> None:
    client = signed_in
    index, query_text, best_doc = index_and_query

    # A search endpoint over the built-in engine.
    page = Page(client.get("/endpoints/new").raise_for_status().text)
    form = page.form(id="endpoint-form")
    kinds = [value for value, _ in form.selects["kind"].options]
    assert "local" in kinds, f"the endpoint form offers no built-in engine: {kinds}"
    endpoint_name = f"integration {unique}"
    data = form.values() | {"name": endpoint_name, "kind": "local", "url": f"local://{index}"}
    response = _submit(client, "/endpoints/new", form.action, data)
    assert endpoint_name in response.text, "the new endpoint is not listed"

    # A case on it, scored with nDCG@10.
    page = Page(client.get("/").raise_for_status().text)
    form = page.form(id="case-create")
    data = form.values() | {
        "name": f"integration case {unique}",
        "scorer": form.option_value("scorer", "nDCG@10"),
        "endpoint": form.option_value("endpoint", endpoint_name),
        "query_template": '{"query": "#$query##"}',
        "field_spec": "id:id title:title body",
    }
    response = _submit(client, "/", form.action, data)
    match = re.search(r"/cases/(\d+)/$", str(response.url))
    assert match, f"creating the case did not lead to its page: {response.url}"
    case_url = f"/cases/{match.group(1)}/"

    # A query, then a run.
    form = Page(response.text).form(id="query-add")
    response = _submit(client, case_url, form.action, form.values() | {"text": query_text})
    rows = [e for e in Page(response.text).with_attr("data-query-id") if e.tag == "tr"]
    row = next((r for r in rows if query_text in r.text), None)
    assert row is not None, f"query {query_text!r} is not in the case's table"
    query_url = f"{case_url}queries/{row.attrs['data-query-id']}/"
    form = Page(response.text).form(id="run-form")
    response = _submit(client, case_url, form.action, form.values())
    wait_for_jobs(client, case_url)  # a run is a job a worker does
    response = client.get(case_url)
    failure = re.search(r'class="tag error" title="([^"]*)"', response.text)
    assert failure is None, f"the query failed against the engine: {failure and failure.group(1)}"

    # The results, and a rating for the first one.
    page = Page(client.get(query_url).raise_for_status().text)
    docs = [e for e in page.with_attr("data-doc-id") if e.tag == "li"]
    assert docs, f"{query_text!r} found nothing in local://{index}"
    first = docs[0].attrs["data-doc-id"]
    if best_doc is not None:
        assert first == best_doc, (
            f"expected {best_doc} first, got {[d.attrs['data-doc-id'] for d in docs]}"
        )
    rating_forms = [f for f in page.forms if "data-rating-form" in f.attrs]
    form = next(f for f in rating_forms if dict(f.values()).get("doc_id") == first)
    scale = [
        float(b["value"])
        for b in form.buttons
        if b.get("name") == "rating" and b.get("value") != "clear"
    ]
    assert scale, "the rating form offers no grades"
    top = max(scale)
    top_value = next(
        b["value"]
        for b in form.buttons
        if b.get("value") and b["value"] != "clear" and float(b["value"]) == top
    )
    response = _submit(client, query_url, form.action, form.values() | {"rating": top_value})
    page = Page(response.text)
    rated = page.by_id(f"doc-{first}")
    assert float(rated.attrs["data-rating"]) == top, "the rating was not kept"
    query_score = _float(page.by_id("query-score").text)
    assert query_score > 0, (
        f"{first} is ranked first and rated {top}, the top grade, yet the query scores 0: "
        "the scorer did not match the rating to the result"
    )

    # Run again and read the case score: one query, its only rated doc ranked first at the top
    # grade, so nDCG@10 is exactly 1 on the integration corpus.
    form = Page(client.get(case_url).text).form(id="run-form")
    _submit(client, case_url, form.action, form.values())
    wait_for_jobs(client, case_url)
    response = client.get(case_url)
    case_score = float(Page(response.text).by_id("case-score").attrs["data-score"])
    assert case_score > 0
    if best_doc is not None:
        assert case_score == 1.0
        assert query_score == 1.0
