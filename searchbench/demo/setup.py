"""`searchbench demo`: everything the demo needs, created once and found again on re-runs.

Re-running never duplicates rows and never overwrites what a person changed: ratings that exist
are kept (only missing ground-truth ratings are added), the user's password is set only when the
user is created, the index is rebuilt only when the corpus version changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction

from searchbench.accounts.models import Membership, Team
from searchbench.cases import services
from searchbench.cases.models import Case, Rating, Scorer, SearchEndpoint
from searchbench.demo import corpus
from searchbench.indexes.models import LocalIndex

USERNAME = "demo"
PASSWORD = "demo"
TEAM = "Demo team"
ENDPOINT = "Demo catalogue (built-in engine)"
INDEX = "demo"
CASE = "Demo: outdoor gear search"
SCORER = "nDCG@10"
TEMPLATE = '{"query": "#$query##", "fields": ["description"]}'
FIELD_SPEC = "id:id title:title thumb:image brand category price description"
INDEX_FIELDS = ["title", "category", "brand", "description"]

Echo = Callable[[str], None]


@dataclass
class DemoInfo:
    username: str
    password: str
    case_id: int
    score: float | None
    created: bool


def _corpus_file(data_dir: Path) -> Path:
    return data_dir / "demo" / f"products-v{corpus.CORPUS_VERSION}.jsonl"


def build_index(data_dir: Path, echo: Echo) -> None:
    from searchbench.engines.local import create_index, list_indexes

    source = _corpus_file(data_dir)
    current = {info.name: info for info in list_indexes(data_dir)}.get(INDEX)
    if current is not None and current.source == str(source) and source.exists():
        echo(f"index {INDEX!r}: up to date ({current.doc_count} products)")
        return
    products = corpus.generate()
    corpus.write_jsonl(source, products)
    info = create_index(INDEX, source, id_field="id", fields=INDEX_FIELDS, data_dir=data_dir)
    echo(f"index {INDEX!r}: built {info.doc_count} products in {info.build_seconds:.1f}s")


@transaction.atomic
def create_objects(echo: Echo) -> tuple[Case, bool]:
    User = get_user_model()
    user, created_user = User.objects.get_or_create(username=USERNAME)
    if created_user:
        user.set_password(PASSWORD)
        user.save()
    team, _ = Team.objects.get_or_create(
        name=TEAM, defaults={"description": "Everyone trying the demo."}
    )
    Membership.objects.get_or_create(team=team, user=user, defaults={"role": Membership.Role.OWNER})
    endpoint, _ = SearchEndpoint.objects.get_or_create(
        name=ENDPOINT,
        owner=user,
        defaults={"kind": "local", "url": f"local://{INDEX}"},
    )
    endpoint.teams.add(team)
    # The demo user owns the demo index, shared with the demo team: their endpoints may use it.
    index, _ = LocalIndex.objects.get_or_create(name=INDEX, defaults={"owner": user})
    index.teams.add(team)
    scorer = Scorer.objects.get(name=SCORER)
    case, created_case = Case.objects.get_or_create(
        name=CASE,
        owner=user,
        defaults={"scorer": scorer, "options": {}},
    )
    case.teams.add(team)
    if case.current_try() is None:
        services.create_try(
            case,
            name="description-only baseline",
            query_template=TEMPLATE,
            field_spec=FIELD_SPEC,
            rows=10,
            endpoint=endpoint,
        )
    existing = {q.text: q for q in case.queries.all()}
    products = corpus.generate()
    truth = corpus.ground_truth(products)
    added_ratings = 0
    # Queries and ratings are seeded once, with the case: on a re-run (every start of the demo
    # container) a query the user removed or a rating they cleared must stay gone.
    for demo_query in corpus.demo_queries() if created_case else []:
        query = existing.get(demo_query.text)
        if query is None:
            query = services.add_query(
                case, demo_query.text, information_need=demo_query.information_need
            )
        rated = set(Rating.objects.filter(query=query).values_list("doc_id", flat=True))
        missing = [
            Rating(query=query, doc_id=doc_id, rating=float(grade), rated_by=user)
            for doc_id, grade in truth[demo_query.text].items()
            if doc_id not in rated
        ]
        Rating.objects.bulk_create(missing, batch_size=500, ignore_conflicts=True)
        added_ratings += len(missing)
    echo(
        f"case {case.name!r}: {case.queries.count()} queries, "
        f"{Rating.objects.filter(query__case=case).count()} ratings ({added_ratings} new)"
    )
    return case, created_case


def setup_demo(data_dir: Path, echo: Echo = print) -> DemoInfo:
    """Migrate, index, create the demo objects and run the case once (if it never ran)."""
    call_command("migrate", interactive=False, verbosity=0)
    echo("database: migrated")
    build_index(data_dir, echo)
    case, created = create_objects(echo)
    last = services.latest_history(case)
    if last is None:
        run = services.run_case(case)
        score: float | None = run.score
        echo(f"ran the demo case: {case.scorer.name} = {run.score:.3f}")
        for key, error in run.errors.items():
            echo(f"  query {key} failed: {error}")
    else:
        score = last.score
    return DemoInfo(USERNAME, PASSWORD, case.pk, score, created)
