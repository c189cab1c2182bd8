from __future__ import annotations

import pytest

from searchbench.web.email import EmailUrlError, parse_email_url

CONSOLE = "django.core.mail.backends.console.EmailBackend"
SMTP = "django.core.mail.backends.smtp.EmailBackend"


def test_unset_and_console_write_to_the_output():
    assert parse_email_url("") == {"EMAIL_BACKEND": CONSOLE}
    assert parse_email_url("console://") == {"EMAIL_BACKEND": CONSOLE}


def test_smtp_uses_starttls_on_587_with_decoded_credentials():
    config = parse_email_url("smtp://mailer%40corp:p%40ss@mail.example.com")
    assert config["EMAIL_BACKEND"] == SMTP
    assert (config["EMAIL_HOST"], config["EMAIL_PORT"]) == ("mail.example.com", 587)
    assert (config["EMAIL_HOST_USER"], config["EMAIL_HOST_PASSWORD"]) == ("mailer@corp", "p@ss")
    assert config["EMAIL_USE_TLS"] and not config["EMAIL_USE_SSL"]


def test_smtps_is_tls_from_the_start_and_starttls_can_be_off():
    assert parse_email_url("smtps://mail:2465")["EMAIL_USE_SSL"]
    assert parse_email_url("smtps://mail")["EMAIL_PORT"] == 465
    plain = parse_email_url("smtp://relay:25?starttls=0")
    assert not plain["EMAIL_USE_TLS"] and plain["EMAIL_PORT"] == 25


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("imap://u:secret@mail", "unsupported scheme"),
        ("smtp://u:secret@:25", "no host"),
        ("smtp://mail?tls=1", "unknown option"),
        ("smtp://mail:port", "Port could not be cast"),
    ],
)
def test_bad_urls_are_refused_without_the_password(url, problem):
    with pytest.raises(EmailUrlError, match=problem) as err:
        parse_email_url(url)
    assert "secret" not in str(err.value)
