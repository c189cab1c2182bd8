"""Whose address is it: X-Forwarded-For counts only as far as SEARCHBENCH_PROXY_COUNT says."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from searchbench.web.clientip import client_ip


def request(forwarded: str | None = None, remote: str = "172.16.0.1"):
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **headers)


def test_without_proxies_the_header_is_ignored(settings):
    settings.SEARCHBENCH_PROXY_COUNT = 0
    assert client_ip(request("198.51.100.7")) == "172.16.0.1"


@pytest.mark.parametrize(
    "proxies, forwarded, expected",
    [
        (1, "198.51.100.7", "198.51.100.7"),
        (1, "203.0.113.1, 198.51.100.7", "198.51.100.7"),  # the client's own entry is left
        (2, "203.0.113.1, 198.51.100.7, 10.0.0.2", "198.51.100.7"),
        (1, "2001:db8::1", "2001:db8::1"),
        (2, "198.51.100.7", "172.16.0.1"),  # fewer entries than proxies: not through them all
        (1, "", "172.16.0.1"),
        (1, None, "172.16.0.1"),
        (1, "unknown", "172.16.0.1"),  # not an address
    ],
)
def test_behind_proxies_the_entry_the_outermost_proxy_wrote_counts(
    settings, proxies, forwarded, expected
):
    settings.SEARCHBENCH_PROXY_COUNT = proxies
    assert client_ip(request(forwarded)) == expected
