"""SEARCHBENCH_EMAIL_URL -> Django's e-mail settings (invitations, password resets).

Accepted:

- ``smtp://USER:PASS@HOST:PORT`` — SMTP, upgraded with STARTTLS (the default port 587);
  ``?starttls=0`` for a server without TLS (port 25 on a trusted network);
- ``smtps://USER:PASS@HOST:PORT`` — SMTP over TLS from the start (the default port 465);
- ``console://`` — e-mails are written to the server's standard output (the demo, a laptop);
- unset: the same as ``console://``.

User and password are optional and percent-decoded.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from searchbench.web.database import _redact  # the password shown as ***

BACKENDS = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "smtps": "django.core.mail.backends.smtp.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
}
DEFAULT_PORTS = {"smtp": 587, "smtps": 465}


class EmailUrlError(ValueError):
    """SEARCHBENCH_EMAIL_URL cannot be turned into e-mail settings."""


def parse_email_url(url: str) -> dict[str, Any]:
    """Django's EMAIL_* settings for the URL (errors name the problem, never the password)."""
    if not url.strip():
        return {"EMAIL_BACKEND": BACKENDS["console"]}
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise EmailUrlError(f"SEARCHBENCH_EMAIL_URL={_redact(url)!r}: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in BACKENDS:
        known = ", ".join(f"{s}://" for s in BACKENDS)
        raise EmailUrlError(
            f"SEARCHBENCH_EMAIL_URL={_redact(url)!r}: unsupported scheme; use one of {known}"
        )
    if scheme == "console":
        return {"EMAIL_BACKEND": BACKENDS["console"]}
    if not parts.hostname:
        raise EmailUrlError(f"SEARCHBENCH_EMAIL_URL={_redact(url)!r}: no host name")
    options = dict(parse_qsl(parts.query, keep_blank_values=True))
    unknown = set(options) - {"starttls"}
    if unknown:
        raise EmailUrlError(
            f"SEARCHBENCH_EMAIL_URL={_redact(url)!r}: unknown option(s) {', '.join(sorted(unknown))}"
        )
    starttls = options.get("starttls", "1").lower() not in {"0", "false", "no", "off"}
    return {
        "EMAIL_BACKEND": BACKENDS[scheme],
        "EMAIL_HOST": parts.hostname,
        "EMAIL_PORT": port or DEFAULT_PORTS[scheme],
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_SSL": scheme == "smtps",
        "EMAIL_USE_TLS": scheme == "smtp" and starttls,
        "EMAIL_TIMEOUT": 10,
    }
