"""Personas and a tiny built-in index for the cases app's tests."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from searchbench.testing import service_missing

# Six products; "red boots" should rank b1/b2 first. Ratings below are the judgments.
DOCS = [
    {"id": "b1", "title": "red leather boots", "body": "warm red boots for winter"},
    {"id": "b2", "title": "red rain boots", "body": "waterproof boots in red"},
    {"id": "b3", "title": "blue boots", "body": "blue hiking boots"},
    {"id": "j1", "title": "red jacket", "body": "a red jacket, pairs with boots"},
    {"id": "t1", "title": "green tent", "body": "a two person tent"},
    {"id": "s1", "title": "wool socks", "body": "socks for boots"},
]


@dataclass
class World:
    owner: Any
    teammate: Any
    outsider: Any
    team: Any
    endpoint: Any
    case: Any
    try_: Any
    q_boots: Any
    q_tent: Any


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "data"
    path.mkdir()
    monkeypatch.setenv("SEARCHBENCH_DATA_DIR", str(path))
    yield path


@pytest.fixture
def tiny_index(data_dir: Path) -> str:
    from searchbench.engines.local import create_index

    source = data_dir / "tiny.jsonl"
    source.write_text("".join(json.dumps(d) + "\n" for d in DOCS))
    create_index("tiny", source, id_field="id", fields=["title", "body"], data_dir=data_dir)
    return "tiny"


@pytest.fixture
def world(db: None, tiny_index: str) -> World:
    from django.contrib.auth import get_user_model

    from searchbench.accounts.models import Membership, Team
    from searchbench.cases import services
    from searchbench.cases.builtins import sync_builtin_scorers
    from searchbench.cases.models import Case, Rating, Scorer, SearchEndpoint
    from searchbench.indexes.models import LocalIndex

    sync_builtin_scorers()
    User = get_user_model()
    owner = User.objects.create_user("olive", password="pw-olive")
    teammate = User.objects.create_user("tom", password="pw-tom")
    outsider = User.objects.create_user("oscar", password="pw-oscar")
    team = Team.objects.create(name="search team")
    Membership.objects.create(team=team, user=owner, role=Membership.Role.OWNER)
    Membership.objects.create(team=team, user=teammate)
    # olive's index, shared with her team: their endpoints may name it (indexes.LocalIndex)
    LocalIndex.objects.create(name=tiny_index, owner=owner).teams.add(team)
    endpoint = SearchEndpoint.objects.create(
        name="tiny", kind="local", url=f"local://{tiny_index}", owner=owner
    )
    case = Case.objects.create(
        name="Boots case", owner=owner, scorer=Scorer.objects.get(name="quepid:P@10")
    )
    case.teams.add(team)
    try_ = services.create_try(
        case,
        query_template='{"query": "#$query##", "fields": ["title^2", "body"]}',
        field_spec="id:id title:title body",
        endpoint=endpoint,
    )
    q_boots = services.add_query(case, "red boots")
    q_tent = services.add_query(case, "tent")
    Rating.objects.create(query=q_boots, doc_id="b1", rating=1)
    Rating.objects.create(query=q_boots, doc_id="b2", rating=1)
    Rating.objects.create(query=q_tent, doc_id="t1", rating=1)
    return World(owner, teammate, outsider, team, endpoint, case, try_, q_boots, q_tent)


# --- Quepid's files (import and export tests) ---------------------------------------------------

HAYSTACK_OWNER = "epugh@opensourceconnections.com"


@pytest.fixture(scope="session")
def quepid_files(shared_data: Path) -> Path:
    path = shared_data / "quepid_files"
    if not path.is_dir():
        service_missing(f"Quepid's files not found at {path}")
    return path


@pytest.fixture(scope="session")
def haystack_case(quepid_files: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Haystack case JSON, unpacked from the zip Quepid ships (its __MACOSX entry left out)."""
    with zipfile.ZipFile(quepid_files / "quepid-case" / "haystack_rating_party_case.json.zip") as z:
        data = z.read("haystack_rating_party_case.json")
    path = tmp_path_factory.mktemp("quepid") / "haystack_rating_party_case.json"
    path.write_bytes(data)
    return path


@pytest.fixture
def owner(db: None) -> Any:
    from django.contrib.auth import get_user_model

    from searchbench.cases.builtins import sync_builtin_scorers

    sync_builtin_scorers()
    return get_user_model().objects.create_user("epugh", HAYSTACK_OWNER, "pw")
