"""schemathesis against /api/v1/openapi.json on a live server with real data, as the case's owner
and as an outsider (Bearer tokens): no answer is a server error (5xx), every answer matches the
document (status code, content type, body schema).

The normal suite runs a few examples per operation and mode (``SEARCHBENCH_FUZZ_EXAMPLES``,
default 2);
``make fuzz`` runs this module alone with more. The closing line says how many cases ran.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis import checks as sc
from schemathesis.generation.modes import GenerationMode

from searchbench.api.tests.conftest import World, token_api

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db(transaction=True)]

EXAMPLES = int(os.environ.get("SEARCHBENCH_FUZZ_EXAMPLES", "2"))
CHECKS = [
    sc.not_a_server_error,
    sc.response_schema_conformance,
    sc.status_code_conformance,
    sc.content_type_conformance,
]
PERSONAS = ["owner", "outsider"]

RAN: Counter[str] = Counter()


def _fill_world(world: World) -> dict[str, Any]:
    """Put a snapshot, a recorded run, a job and a custom scorer into the world, and note every
    id the paths take."""
    from searchbench.books.models import Book, Pair
    from searchbench.cases import services
    from searchbench.cases.models import Scorer
    from searchbench.jobs import services as jobs

    scorer = Scorer.objects.create(
        name="fuzz scorer", kind=Scorer.Kind.CUSTOM, owner=world.owner, code="setScore(1);"
    )
    snapshot = services.take_snapshot(world.case, "fuzz snapshot", user=world.owner)
    job = jobs.start_run(world.case, user=world.owner)
    run = services.latest_history(world.case)
    book = Book.objects.create(name="fuzz book", owner=world.owner, scale=[0, 1, 2, 3])
    pair = Pair.objects.create(book=book, query_text="red boots", doc_id="b1")
    return dict(
        case_id=world.case.pk,
        query_id=world.q_boots.pk,
        number=world.try_.number,
        snapshot_id=snapshot.pk,
        history_id=run.pk if run else 1,
        scorer_id=scorer.pk,
        endpoint_id=world.endpoint.pk,
        team_id=world.team.pk,
        user_id=world.teammate.pk,
        job_id=job.pk,
        book_id=book.pk,
        pair_id=pair.pk,
        fmt="ratings-csv",
    )


@pytest.mark.parametrize("persona", PERSONAS)
def test_api_fuzz(live_server: Any, world: World, persona: str) -> None:
    """Every operation, with valid requests (positive) and requests the document refuses
    (negative); half of them on the world's real ids so they reach past "no such case"."""
    real_ids = _fill_world(world)
    token = token_api(getattr(world, persona)).headers["Authorization"]
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/openapi.json")
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        params = {p.name for p in operation.path_parameters}
        real = {k: v for k, v in real_ids.items() if k in params}
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategies = [operation.as_strategy(mode)]
            if real:
                strategies.append(operation.as_strategy(mode, path_parameters=real))
            failures += _fuzz(st.one_of(strategies), token, persona, operation.label)
    assert operations >= 50, f"only {operations} operations in the OpenAPI document"
    assert not failures, f"{len(failures)} operations failed:\n" + "\n\n".join(failures)


def _fuzz(strategy: Any, token: str, persona: str, label: str) -> list[str]:
    @hypothesis.given(case=strategy)
    @hypothesis.settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(hypothesis.HealthCheck),
        database=None,
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate, hypothesis.Phase.shrink],
    )
    def run(case: Any) -> None:
        RAN[persona] += 1
        case.call_and_validate(headers={"Authorization": token}, checks=CHECKS)

    try:
        run()
    except (Exception, BaseExceptionGroup) as exc:  # a failure (group) names the request to replay
        return [f"{label} as {persona}: {exc}"]
    return []


@pytest.fixture(scope="module", autouse=True)
def _closing_note(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    total = sum(RAN.values())
    if reporter is not None and total:
        by = ", ".join(f"{n} as {p}" for p, n in sorted(RAN.items()))
        with capture.global_and_fixture_disabled():
            reporter.write_line(
                f"\nschemathesis: {total} cases ran ({by}), {EXAMPLES} examples a try"
            )
