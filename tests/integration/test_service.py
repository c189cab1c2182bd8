"""The running service as an operator sees it: health, request ids, headers, static files."""

from __future__ import annotations

import uuid

import httpx

from tests.integration.conftest import sign_in


def test_healthz_reports_ready_with_version_and_revision(client: httpx.Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["migrations"] == {"ok": True, "pending": 0}
    assert body["version"] and body["revision"]
    assert "no-cache" in response.headers.get("Cache-Control", "")


def test_it_echoes_a_given_request_id(client: httpx.Client) -> None:
    request_id = f"it-{uuid.uuid4().hex}"
    response = client.get("/healthz", headers={"X-Request-ID": request_id})
    assert response.headers["X-Request-ID"] == request_id


def test_it_makes_up_a_request_id_and_refuses_unsafe_ones(client: httpx.Client) -> None:
    made_up = client.get("/healthz").headers["X-Request-ID"]
    assert len(made_up) >= 16
    unsafe = client.get("/healthz", headers={"X-Request-ID": "a b\tc" * 40})
    assert unsafe.headers["X-Request-ID"] != "a b\tc" * 40
    assert " " not in unsafe.headers["X-Request-ID"]


def test_pages_need_a_login(client: httpx.Client) -> None:
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 302
    assert "/accounts/login/" in response.headers["Location"]


def test_a_wrong_password_is_refused(client: httpx.Client) -> None:
    response = sign_in(client, "nobody-" + uuid.uuid4().hex[:6], "wrong password")
    assert response.status_code == 200
    assert "/accounts/login/" in str(response.url)
    assert 'role="alert"' in response.text


def test_it_sends_security_headers(client: httpx.Client) -> None:
    response = client.get("/accounts/login/")
    assert response.headers.get("X-Frame-Options") == "DENY"
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    assert "csrftoken" in response.cookies


def test_static_files_are_served(client: httpx.Client) -> None:
    page = client.get("/accounts/login/").text
    # Every stylesheet and script the login page links must load (collected, hashed names in
    # production; the app directories under the demo server).
    links = [
        part.split('"', 1)[0]
        for part in page.split('href="/static/')[1:] + page.split('src="/static/')[1:]
    ]
    assert links, "the login page links no static file"
    for link in links:
        response = client.get(f"/static/{link}")
        assert response.status_code == 200, f"/static/{link}: {response.status_code}"
