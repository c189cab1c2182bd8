"""A case of many queries run through the workers of a live deployment, as a person starts it:

    python -m tests.integration.compose_run --base-url URL --login USER:PASSWORD \
        --local-index integration --queries 600

Signs in, adds a built-in-engine endpoint and a case with N queries (the integration corpus's
titles, numbered), presses "Run all queries", waits for the job, and checks that every query was searched
and none failed. docker/image-test.sh runs it against the compose stack with three workers; with
SEARCHBENCH_JOB_CHUNK_SIZE small there, the chunks spread over the workers. Exit 0 when it holds.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import uuid

import httpx

from tests.integration import corpus
from tests.integration.conftest import new_client, sign_in
from tests.integration.html import Page
from tests.integration.jobs import job_urls, wait_for_job


def _post(client: httpx.Client, url: str, data: dict[str, str]) -> httpx.Response:
    response = client.post(url, data=data)
    if response.status_code != 200:
        sys.exit(f"POST {url}: HTTP {response.status_code}")
    return response


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--login", required=True, metavar="USER:PASSWORD")
    parser.add_argument("--local-index", default="integration")
    parser.add_argument("--queries", type=int, default=600)
    args = parser.parse_args()
    user, _, password = args.login.partition(":")
    unique = uuid.uuid4().hex[:8]
    client = new_client(args.base_url.rstrip("/"))
    sign_in(client, user, password)

    form = Page(client.get("/endpoints/new").raise_for_status().text).form(id="endpoint-form")
    name = f"compose {unique}"
    data = form.values() | {"name": name, "kind": "local", "url": f"local://{args.local_index}"}
    _post(client, form.action or "/endpoints/new", data)

    form = Page(client.get("/").raise_for_status().text).form(id="case-create")
    data = form.values() | {
        "name": f"compose case {unique}",
        "scorer": form.option_value("scorer", "nDCG@10"),
        "endpoint": form.option_value("endpoint", name),
        "query_template": '{"query": "#$query##"}',
        "field_spec": "id:id title:title body",
    }
    response = _post(client, "/", data)
    match = re.search(r"/cases/(\d+)/$", str(response.url))
    if not match:
        sys.exit(f"creating the case did not lead to its page: {response.url}")
    case_url = f"/cases/{match.group(1)}/"
    titles = [doc["title"] for doc in corpus.documents()]
    texts = [f"{titles[i % len(titles)]} {i}" for i in range(args.queries)]
    form = Page(response.text).form(id="query-add")  # pasted, one a line, as a person would
    response = _post(client, form.action or case_url, form.values() | {"text": "\n".join(texts)})

    started = time.monotonic()
    form = Page(response.text).form(id="run-form")
    response = _post(client, form.action or case_url, form.values())
    urls = job_urls(response.text)
    if not urls:
        sys.exit("pressing 'Run all queries' started no job on the case page")
    progress = wait_for_job(client, urls[0], timeout=300)
    took = time.monotonic() - started
    print(
        f"run of {len(texts)} queries: {progress['status']}, {progress['done']} done, "
        f"{progress['failed']} failed, {took:.1f} s"
    )
    if progress["status"] != "done" or progress["done"] != len(texts) or progress["failed"]:
        sys.exit(f"the run did not finish cleanly: {progress}")
    score = Page(client.get(case_url).text).by_id("case-score").attrs.get("data-score")
    print(f"case score: {score}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
