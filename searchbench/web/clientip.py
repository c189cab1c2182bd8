"""The client's address: the one place that decides whether X-Forwarded-For is believed.

Behind N reverse proxies that each append the address they saw, the client's address is the N-th
entry from the right; anything left of it was written by the client and proves nothing. Without
proxies (``SEARCHBENCH_PROXY_COUNT=0``, the default) the header is ignored altogether.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The address the log-in throttle counts failures against."""
    remote = request.META.get("REMOTE_ADDR")
    proxies: int = settings.SEARCHBENCH_PROXY_COUNT
    if proxies <= 0:
        return remote
    header = request.META.get("HTTP_X_FORWARDED_FOR", "")
    forwarded = [part.strip() for part in header.split(",") if part.strip()]
    if len(forwarded) < proxies:
        return remote  # it did not come through every proxy: the connection is the client
    try:
        return str(ipaddress.ip_address(forwarded[-proxies]))
    except ValueError:
        return remote  # a proxy wrote something that is not an address
