"""The OpenAPI document and the docs page (served from this app: no CDN, inside the CSP)."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from searchbench.api.errors import ERROR_CODES
from searchbench.api.tests.conftest import BASE
from searchbench.web.csp import HEADER

pytestmark = pytest.mark.django_db

METHODS = {"get", "post", "put", "patch", "delete"}


def _no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict:
    keys = [k for k, _ in pairs]
    assert len(keys) == len(set(keys)), f"duplicate keys: {keys}"  # Swagger UI refuses them
    return dict(pairs)


@pytest.fixture
def spec() -> dict:
    response = Client().get(f"{BASE}/openapi.json")
    assert response.status_code == 200
    return json.loads(response.content, object_pairs_hook=_no_duplicate_keys)


def test_every_operation_has_an_id_a_success_and_the_error_shape(spec: dict) -> None:
    ids = []
    for path, item in spec["paths"].items():
        assert path.startswith(BASE + "/"), path
        for method, op in item.items():
            if method not in METHODS:
                continue
            ids.append(op["operationId"])
            codes = {int(c) for c in op["responses"]}
            assert any(200 <= c < 300 for c in codes), (path, method)
            assert codes >= ERROR_CODES, (path, method)
            error = op["responses"]["404"]["content"]["application/json"]["schema"]
            assert error == {"$ref": "#/components/schemas/ErrorOut"}
            assert op.get("security"), (path, method)  # nothing is open
    assert len(ids) == len(set(ids)) and len(ids) >= 45
    schemes = spec["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} == {"http", "apiKey"}


def test_paths_name_ids_without_django_converters(spec: dict) -> None:
    assert f"{BASE}/cases/{{case_id}}/queries/{{query_id}}/ratings" in spec["paths"]
    assert not [p for p in spec["paths"] if "id:" in p]


def test_the_docs_page_loads_its_assets_from_this_app() -> None:
    response = Client().get(f"{BASE}/docs")
    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(s.endswith("swagger-ui-bundle.js") for s in sources)
    assert all(s.startswith("/") for s in sources), sources  # no http(s)://cdn…
    assert "<script>" not in html  # no inline code: the CSP's script-src 'self' allows it
    policy = response[HEADER]
    assert "script-src 'self';" in policy and "style-src 'self';" in policy
    assert "img-src 'self' data:;" in policy  # its icons; nothing from elsewhere
    for source in sources:
        if source.startswith("/static/"):
            assert Client().get(source).status_code == 200, source
