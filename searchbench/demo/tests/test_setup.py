from __future__ import annotations

import pytest

from searchbench.cases.models import Case, Query, Rating, ScoreHistory, SearchEndpoint, Try
from searchbench.demo import corpus
from searchbench.demo.setup import CASE, setup_demo


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("SEARCHBENCH_DATA_DIR", str(tmp_path))
    return tmp_path


@pytest.mark.django_db
def test_it_sets_up_everything_and_scores(data_dir):
    lines: list[str] = []
    info = setup_demo(data_dir, echo=lines.append)
    case = Case.objects.get(pk=info.case_id)
    assert case.name == CASE and case.owner.username == "demo"
    assert case.owner.check_password("demo")
    assert case.queries.count() == 20
    truth = corpus.ground_truth(corpus.generate())
    assert Rating.objects.filter(query__case=case).count() == sum(len(g) for g in truth.values())
    history = ScoreHistory.objects.get(case=case)
    assert history.errors == {} and len(history.per_query) == 20
    assert 0.0 < info.score == history.score < 1.0
    assert (data_dir / "indexes" / "demo").exists()
    assert any("built 3000 products" in line for line in lines)


@pytest.mark.django_db
def test_rerunning_keeps_ratings_and_duplicates_nothing(data_dir):
    info = setup_demo(data_dir, echo=lambda _line: None)
    rating = Rating.objects.filter(query__case_id=info.case_id).order_by("id").first()
    rating.rating = 0.0  # the generator never grades a rated product 0
    rating.save()
    counts = [m.objects.count() for m in (Case, Query, Rating, SearchEndpoint, Try)]
    lines: list[str] = []
    again = setup_demo(data_dir, echo=lines.append)
    assert again.case_id == info.case_id
    assert [m.objects.count() for m in (Case, Query, Rating, SearchEndpoint, Try)] == counts
    rating.refresh_from_db()
    assert rating.rating == 0.0
    assert any("up to date" in line for line in lines)
    assert ScoreHistory.objects.filter(case_id=info.case_id).count() == 1


@pytest.mark.django_db
def test_tuning_the_demo_try_improves_the_score(data_dir):
    from searchbench.cases import services

    info = setup_demo(data_dir, echo=lambda _line: None)
    case = Case.objects.get(pk=info.case_id)
    baseline = case.current_try()
    services.create_try(
        case,
        parent=baseline,
        query_template='{"query": "#$query##", "fields": ["title^2", "category^2", "description"]}',
        field_spec=baseline.field_spec,
        endpoint=baseline.endpoint,
    )
    tuned = services.run_case(case)
    assert tuned.errors == {}
    assert tuned.score > info.score + 0.3  # the demo's story: there is real tuning to do


@pytest.mark.django_db
def test_rerunning_does_not_bring_back_removed_queries_or_cleared_ratings(data_dir):
    info = setup_demo(data_dir, echo=lambda _line: None)
    removed, kept = list(Query.objects.filter(case_id=info.case_id).order_by("id")[:2])
    removed.delete()
    cleared = Rating.objects.filter(query=kept).order_by("id").first()
    cleared.delete()
    setup_demo(data_dir, echo=lambda _line: None)
    assert not Query.objects.filter(case_id=info.case_id, text=removed.text).exists()
    assert not Rating.objects.filter(query=kept, doc_id=cleared.doc_id).exists()
