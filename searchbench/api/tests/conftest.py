"""The cases app's personas (owner, teammate, outsider; a two-query case on a tiny built-in
index) and API clients: by token or by session."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from searchbench.api import tokens
from searchbench.cases.tests.conftest import World, data_dir, tiny_index, world

__all__ = ["World", "data_dir", "tiny_index", "world"]

BASE = "/api/v1"


class Api:
    """A test client speaking JSON to /api/v1 with a bearer token or a session."""

    def __init__(self, client: Client, headers: dict[str, str] | None = None) -> None:
        self.client = client
        self.headers = headers or {}

    def call(self, method: str, path: str, body: Any = None, **headers: str) -> Any:
        kwargs: dict[str, Any] = {"headers": {**self.headers, **headers}}
        if body is not None:
            kwargs["data"] = json.dumps(body)
            kwargs["content_type"] = "application/json"
        return getattr(self.client, method.lower())(BASE + path, **kwargs)

    def get(self, path: str, **headers: str) -> Any:
        return self.call("GET", path, **headers)

    def post(self, path: str, body: Any = None, **headers: str) -> Any:
        return self.call("POST", path, body if body is not None else {}, **headers)

    def patch(self, path: str, body: Any, **headers: str) -> Any:
        return self.call("PATCH", path, body, **headers)

    def put(self, path: str, body: Any, **headers: str) -> Any:
        return self.call("PUT", path, body, **headers)

    def delete(self, path: str, **headers: str) -> Any:
        return self.call("DELETE", path, **headers)


def token_api(user: Any, scope: str = "write") -> Api:
    made = tokens.create_token(user, f"{user.username}'s {scope} token", scope, 30)
    return Api(Client(), {"Authorization": f"Bearer {made.secret}"})


@pytest.fixture
def owner_api(world: World) -> Api:
    return token_api(world.owner)


@pytest.fixture
def teammate_api(world: World) -> Api:
    return token_api(world.teammate)


@pytest.fixture
def outsider_api(world: World) -> Api:
    return token_api(world.outsider)


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The one error shape, with the status (and code) expected."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code, body
    return body["error"]
