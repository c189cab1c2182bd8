"""The OpenSearch and Elasticsearch test nodes themselves: real engines of the named versions
that analyse English and enforce basic auth. The product checks differ; the rest is one suite."""

from __future__ import annotations

import httpx
import pytest

from tests.engines.harness_opensearch import (
    BASIC_AUTH,
    CRANFIELD_INDEX,
    SECURED_PREFIX,
    EngineNode,
    elasticsearch_node,
    opensearch_node,
)

__all__ = ["elasticsearch_node", "opensearch_node"]  # session fixtures used below

pytestmark = pytest.mark.engines


@pytest.fixture(params=["opensearch", "elasticsearch"])
def node(request: pytest.FixtureRequest) -> EngineNode:
    node: EngineNode = request.getfixturevalue(f"{request.param}_node")
    return node


def test_it_is_a_real_opensearch_2_19_node(opensearch_node: EngineNode) -> None:
    info = httpx.get(opensearch_node.url, timeout=10).json()
    assert info["version"]["distribution"] == "opensearch"
    assert info["version"]["number"].startswith("2.19.")
    health = httpx.get(f"{opensearch_node.url}/_cluster/health", timeout=10).json()
    assert health["status"] == "green"
    print(
        f"\nOpenSearch {info['version']['number']}: "
        f"{'cold' if opensearch_node.cold else 'warm'} start {opensearch_node.start_seconds:.1f}s, "
        f"Cranfield ({opensearch_node.notes['documents']} docs) indexed in "
        f"{opensearch_node.notes['index_seconds']}s"
    )


def test_it_is_a_real_elasticsearch_7_10_node(elasticsearch_node: EngineNode) -> None:
    info = httpx.get(elasticsearch_node.url, timeout=10).json()
    assert "distribution" not in info["version"]  # OpenSearch says "opensearch" here
    assert info["tagline"] == "You Know, for Search"
    assert info["version"]["number"] == "7.10.2"
    health = httpx.get(f"{elasticsearch_node.url}/_cluster/health", timeout=10).json()
    assert health["status"] == "green"
    print(
        f"\nElasticsearch {info['version']['number']}: "
        f"{'cold' if elasticsearch_node.cold else 'warm'} start {elasticsearch_node.start_seconds:.1f}s, "
        f"Cranfield ({elasticsearch_node.notes['documents']} docs) indexed in "
        f"{elasticsearch_node.notes['index_seconds']}s"
    )


def test_it_holds_all_of_cranfield(node: EngineNode) -> None:
    count = httpx.get(f"{node.url}/{CRANFIELD_INDEX}/_count", timeout=10).json()
    assert count["count"] == 1400


def test_it_analyses_title_body_and_author_as_english(node: EngineNode) -> None:
    for field in ("title", "body", "author"):
        tokens = httpx.post(
            f"{node.url}/{CRANFIELD_INDEX}/_analyze",
            json={"field": field, "text": "The Boundary Layers"},
            timeout=10,
        ).json()["tokens"]
        assert [t["token"] for t in tokens] == ["boundari", "layer"], field


def test_it_finds_a_known_document(node: EngineNode) -> None:
    hits = httpx.post(
        f"{node.url}/{CRANFIELD_INDEX}/_search",
        json={"query": {"match": {"title": "aerodynamics of a wing in a slipstream"}}, "size": 1},
        timeout=10,
    ).json()["hits"]
    assert hits["hits"][0]["_id"] == "1"


def test_it_demands_basic_auth_on_the_secured_alias(node: EngineNode) -> None:
    url = f"{node.url}/{SECURED_PREFIX}{CRANFIELD_INDEX}/_count"
    refused = httpx.get(url, timeout=10)
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"].startswith("Basic")
    assert httpx.get(url, auth=("searchbench", "wrong"), timeout=10).status_code == 401
    assert httpx.get(url, auth=BASIC_AUTH, timeout=10).json()["count"] == 1400


def test_it_refuses_wrong_credentials_everywhere(node: EngineNode) -> None:
    url = f"{node.url}/{CRANFIELD_INDEX}/_count"
    assert httpx.get(url, auth=("nobody", "nothing"), timeout=10).status_code == 401


def test_it_runs_painless_scripts(node: EngineNode) -> None:
    hits = httpx.post(
        f"{node.url}/{CRANFIELD_INDEX}/_search",
        json={
            "query": {
                "script_score": {
                    "query": {"ids": {"values": ["1"]}},
                    "script": {"source": "params.base + 1", "params": {"base": 41}},
                }
            }
        },
        timeout=10,
    ).json()["hits"]
    assert hits["hits"][0]["_score"] == 42.0
