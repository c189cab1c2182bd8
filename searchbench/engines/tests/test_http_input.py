"""URLs urllib cannot split and custom headers HTTP cannot carry: named errors, before sending."""

from __future__ import annotations

import pytest

from searchbench.engines import http


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://[127.0.0.1]:8201/", "An IPv4 address cannot be in brackets"),
        ("http://[zz]/", "does not appear to be an IPv4 or IPv6 address"),
        ("http://reader:pw@[127.0.0.1]/solr", "not a valid URL"),
    ],
)
def test_an_unsplittable_url_is_a_bad_url(url: str, words: str) -> None:
    with pytest.raises(http.BadUrl, match=words) as info:
        http.check_url(url, http.UrlPolicy())
    assert "pw" not in str(info.value)


def test_masking_never_fails_and_never_shows_the_password() -> None:
    assert http.mask_url("http://reader:pw@[127.0.0.1]/solr") == "http://***@[127.0.0.1]/solr"
    assert http.mask_url("http://reader:pw@solr:8983/x") == "http://***@solr:8983/x"


def test_send_refuses_an_unsplittable_url_with_credentials() -> None:
    with pytest.raises(http.BadUrl):
        http.send("GET", "http://u:p@[127.0.0.1]:9/", policy=http.UrlPolicy())


@pytest.mark.parametrize(
    ("headers", "problem"),
    [
        ({"Content-Length": "5"}, "Content-Length: set by the HTTP client"),
        ({"HOST": "x"}, "HOST: set by the HTTP client"),
        ({"Upgrade": "h2c"}, "Upgrade: set by the HTTP client"),
        ({"X Y": "1"}, "'X Y' is not a valid header name"),
        ({"": "1"}, "'' is not a valid header name"),
        ({"X-A": "1\nX-B: 2"}, "X-A: the value must be printable ASCII on one line"),
        ({"X-A": " padded"}, "X-A: the value must be printable ASCII"),
        ({"X-A": "\u00e9"}, "X-A: the value must be printable ASCII"),
        ({"X-A": 5}, "X-A: the value must be printable ASCII"),
    ],
)
def test_header_problems(headers: dict[str, object], problem: str) -> None:
    (only,) = http.header_problems(headers)
    assert only.startswith(problem)


def test_good_headers_pass() -> None:
    headers = {"Authorization": "Bearer a.b-c", "X-Api-Key": "k", "Accept": "*/*", "X-E": ""}
    assert http.header_problems(headers) == []


def test_send_refuses_a_framing_header_before_connecting() -> None:
    # Port 9 (discard) on loopback: a request that got as far as connecting would fail differently.
    with pytest.raises(http.BadHeader, match="Content-Length: set by the HTTP client") as info:
        http.send(
            "GET",
            "http://127.0.0.1:9/",
            headers={"Content-Length": "5", "X-Api-Key": "secret"},
            policy=http.UrlPolicy(),
        )
    assert info.value.request is not None and info.value.request["headers"]["X-Api-Key"] == "***"
