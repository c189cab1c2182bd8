"""Settings from the environment: one registry, strict parsing, clear errors.

Every variable searchbench reads is declared once in SETTINGS. Django's settings module, the CLI,
the container entrypoint docs and the README's table are all derived from it, and a test checks
that the docs list every entry. Secrets may also be given as ``NAME_FILE`` (a path whose content
is the value), as Docker/compose secrets do.

This module has no Django imports: the CLI reads the data directory without starting Django.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class SettingError(ValueError):
    """A variable in the environment has a value we refuse."""


def _parse_bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise SettingError(f"{name}={raw!r}: expected one of 1/0, true/false, yes/no, on/off")


def _parse_int(name: str, raw: str) -> int:
    try:
        return int(raw.strip())
    except ValueError:
        raise SettingError(f"{name}={raw!r}: expected a whole number") from None


def _parse_list(name: str, raw: str) -> list[str]:
    return [item.strip() for item in raw.split(",") if item.strip()]


def _parse_str(name: str, raw: str) -> str:
    return raw


def _parse_path(name: str, raw: str) -> Path:
    if not raw.strip():
        raise SettingError(f"{name} is set but empty: give a directory path or unset it")
    return Path(raw).expanduser()


PARSERS: dict[str, Callable[[str, str], Any]] = {
    "bool": _parse_bool,
    "int": _parse_int,
    "list": _parse_list,
    "str": _parse_str,
    "path": _parse_path,
}


@dataclass(frozen=True)
class Setting:
    name: str
    kind: str  # a key of PARSERS
    default: Any
    help: str
    secret: bool = False  # may come from NAME_FILE; never printed
    choices: tuple[str, ...] = ()
    minimum: int | None = None  # for an int: the smallest value accepted


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "SEARCHBENCH_DATA_DIR",
        "path",
        Path("searchbench-data"),
        "Directory for the SQLite database, local search indexes and uploads.",
    ),
    Setting(
        "DATABASE_URL",
        "str",
        "",
        "Database to use instead of SQLite in the data directory: "
        "postgres://USER:PASS@HOST:PORT/NAME or mysql://USER:PASS@HOST:PORT/NAME (MariaDB).",
        secret=True,
    ),
    Setting(
        "SEARCHBENCH_SECRET_KEY",
        "str",
        "",
        "Django secret key; also derives the key that encrypts endpoint credentials at rest. "
        "Required when SEARCHBENCH_DEBUG is off.",
        secret=True,
    ),
    Setting("SEARCHBENCH_DEBUG", "bool", False, "Django debug mode (never in production)."),
    Setting(
        "SEARCHBENCH_ALLOWED_HOSTS",
        "list",
        ["127.0.0.1", "localhost"],
        "Comma-separated host names the web app answers to.",
    ),
    Setting(
        "SEARCHBENCH_HTTPS",
        "bool",
        False,
        "The app is reached over HTTPS (directly or through a proxy that sets "
        "X-Forwarded-Proto): cookies are marked Secure and X-Forwarded-Proto is trusted.",
    ),
    Setting(
        "SEARCHBENCH_CSRF_TRUSTED_ORIGINS",
        "list",
        [],
        "Comma-separated origins (scheme://host[:port]) trusted for CSRF behind a proxy.",
    ),
    Setting(
        "SEARCHBENCH_PROXY_COUNT",
        "int",
        0,
        "How many reverse proxies in front of the app append the client's address to "
        "X-Forwarded-For; the client's address is then the one that many entries from the right. "
        "0: the header is ignored and the connection's address is the client's. More than there "
        "are lets clients choose their address (and dodge the log-in throttle).",
        minimum=0,
    ),
    Setting(
        "SEARCHBENCH_LOGIN_FAILURE_LIMIT",
        "int",
        10,
        "Failed log-ins (web and admin) after which a user name, and separately a client "
        "address, is locked out for SEARCHBENCH_LOGIN_COOLOFF_MINUTES.",
        minimum=1,
    ),
    Setting(
        "SEARCHBENCH_LOGIN_COOLOFF_MINUTES",
        "int",
        15,
        "Minutes a locked-out user name or address waits; failures older than that are "
        "forgotten, and a try during the wait starts it over.",
        minimum=1,
    ),
    Setting(
        "SEARCHBENCH_LOG_LEVEL",
        "str",
        "INFO",
        "Log level: DEBUG, INFO, WARNING, ERROR.",
        choices=("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"),
    ),
    Setting(
        "SEARCHBENCH_LOG_FORMAT",
        "str",
        "json",
        "Log format on stdout: json (one JSON object a line) or console.",
        choices=("json", "console"),
    ),
    Setting(
        "SEARCHBENCH_LOG_DIR",
        "path",
        None,
        "When set, logs are also written as JSON lines to searchbench.log in this directory "
        "(for a log-shipper sidecar).",
    ),
    Setting(
        "SEARCHBENCH_ENGINE_TIMEOUT", "int", 10, "Seconds before a search engine request times out."
    ),
    Setting(
        "SEARCHBENCH_ENGINE_CONCURRENCY",
        "int",
        8,
        "How many queries of one case run against an engine at once.",
    ),
    Setting(
        "SEARCHBENCH_URL_ALLOW",
        "list",
        [],
        "Hosts or networks (CIDR) that endpoints may always reach, even in the deny list.",
    ),
    Setting(
        "SEARCHBENCH_URL_DENY",
        "list",
        [],
        "Hosts or networks (CIDR) endpoints may never reach. Without SEARCHBENCH_ALLOW_PRIVATE_URLS, "
        "loopback, link-local and private networks are denied too.",
    ),
    Setting(
        "SEARCHBENCH_ALLOW_PRIVATE_URLS",
        "bool",
        True,
        "Let endpoints reach loopback and private networks (on for the demo and a laptop; "
        "the container image turns it off).",
    ),
    Setting(
        "SEARCHBENCH_JS_TIME_LIMIT_MS_MAX",
        "int",
        5000,
        "Highest time limit (ms) an endpoint may give its JavaScript mapper code "
        "(option mapper_time_limit_ms; the default is 1000).",
        minimum=1,
    ),
    Setting(
        "SEARCHBENCH_JS_MEMORY_LIMIT_MB_MAX",
        "int",
        128,
        "Highest memory limit (MB) an endpoint may give its JavaScript mapper code "
        "(option mapper_memory_limit_mb; the default is 64).",
        minimum=8,
    ),
    Setting(
        "SEARCHBENCH_HISTORY_KEEP_RUNS",
        "int",
        0,
        "Score history: keep each case's newest N runs (older ones go unless "
        "SEARCHBENCH_HISTORY_KEEP_DAYS keeps them). 0: no limit by count. Applied when a run is "
        "recorded and by `searchbench manage prune_history`; a case's newest run always stays.",
        minimum=0,
    ),
    Setting(
        "SEARCHBENCH_HISTORY_KEEP_DAYS",
        "int",
        0,
        "Score history: keep runs younger than this many days (older ones go unless "
        "SEARCHBENCH_HISTORY_KEEP_RUNS keeps them). 0: no limit by age.",
        minimum=0,
    ),
    Setting(
        "SEARCHBENCH_WORKER_PROCESSES",
        "int",
        2,
        "Processes one `searchbench worker` runs jobs in (each takes one chunk at a time).",
        minimum=1,
    ),
    Setting(
        "SEARCHBENCH_JOB_CHUNK_SIZE",
        "int",
        200,
        "Queries per chunk of a case run; chunks are separate tasks, so several workers share "
        "one big case.",
        minimum=1,
    ),
    Setting(
        "SEARCHBENCH_JOB_TIMEOUT",
        "int",
        600,
        "Seconds a worker may spend on one task before it is stopped; a chunk hands its remaining "
        "queries back to the queue well before that.",
        minimum=5,
    ),
    Setting(
        "SEARCHBENCH_JOB_RETRY",
        "int",
        660,
        "Seconds after which a task no worker acknowledged (its worker was killed) is delivered "
        "again. Must be more than SEARCHBENCH_JOB_TIMEOUT.",
        minimum=2,
    ),
    Setting(
        "SEARCHBENCH_NIGHTLY_CRON",
        "str",
        "0 2 * * *",
        "When cases marked for nightly runs are run: a cron expression in UTC (minute hour "
        "day-of-month month day-of-week).",
    ),
    Setting(
        "SEARCHBENCH_JOBS_KEEP_DAYS",
        "int",
        30,
        "Days a finished job (run, snapshot; done, failed or cancelled) and a failed task's "
        "record are kept; older ones are deleted by the nightly task. 0: kept for ever.",
        minimum=0,
    ),
    Setting(
        "SEARCHBENCH_INDEX_UPLOAD_MAX_MB",
        "int",
        200,
        "Largest file (MB) a user may upload to build a built-in engine index from (JSONL or "
        "CSV), on the Indexes page. At most 2000 (the build's progress counts bytes).",
        minimum=1,
    ),
    Setting(
        "SEARCHBENCH_SIGNUP",
        "bool",
        False,
        "Anyone who reaches the site may create an account at /accounts/signup/. Off: accounts "
        "are made by an administrator (or by single sign-on).",
    ),
    Setting(
        "SEARCHBENCH_EMAIL_URL",
        "str",
        "",
        "How e-mail (team invitations, password resets) is sent: smtp://USER:PASS@HOST:PORT "
        "(STARTTLS; ?starttls=0 for none), smtps://USER:PASS@HOST:PORT (TLS), or console:// "
        "(written to the server's output). Unset: console://.",
        secret=True,
    ),
    Setting(
        "SEARCHBENCH_EMAIL_FROM",
        "str",
        "searchbench@localhost",
        "The From address of the e-mails searchbench sends.",
    ),
    Setting(
        "SEARCHBENCH_INVITATION_DAYS",
        "int",
        7,
        "Days a team invitation link works (once) after it is sent.",
        minimum=1,
    ),
    Setting(
        "SEARCHBENCH_OIDC_ISSUER",
        "str",
        "",
        "Single sign-on with OpenID Connect: the provider's issuer URL (its endpoints are read "
        "from ISSUER/.well-known/openid-configuration). Sign-on is on when this and "
        "SEARCHBENCH_OIDC_CLIENT_ID are set.",
    ),
    Setting(
        "SEARCHBENCH_OIDC_CLIENT_ID",
        "str",
        "",
        "The client id searchbench is registered with at the provider (redirect URI: "
        "https://HOST/accounts/oidc/callback/).",
    ),
    Setting(
        "SEARCHBENCH_OIDC_CLIENT_SECRET",
        "str",
        "",
        "The client's secret at the provider.",
        secret=True,
    ),
    Setting(
        "SEARCHBENCH_OIDC_SCOPES",
        "str",
        "openid email profile",
        "Scopes asked of the provider (space-separated); the e-mail claim is required.",
    ),
    Setting(
        "SEARCHBENCH_OIDC_SIGN_ALGO",
        "str",
        "RS256",
        "The algorithm the provider signs ID tokens with.",
        choices=("RS256", "RS384", "RS512", "ES256", "ES384", "ES512"),
    ),
    Setting(
        "SEARCHBENCH_OIDC_CREATE_USERS",
        "bool",
        True,
        "Make an account at the first sign-on of someone with no account of their e-mail. Off: "
        "only existing accounts (matched by verified e-mail) may sign on.",
    ),
    Setting(
        "SEARCHBENCH_OIDC_NAME",
        "str",
        "single sign-on",
        'What the log-in page\'s button calls the provider ("Log in with …").',
    ),
    Setting("PORT", "int", 8000, "Port the web server listens on."),
    Setting("WEB_CONCURRENCY", "int", 2, "Number of web server worker processes."),
    Setting(
        "SEARCHBENCH_STATIC_ROOT",
        "path",
        Path("staticfiles"),
        "Directory `searchbench manage collectstatic` fills and the web app serves /static/ from.",
    ),
    Setting(
        "SEARCHBENCH_REVISION",
        "str",
        "",
        "Source revision shown by /healthz (the image sets it); else `git rev-parse` of the checkout.",
    ),
    Setting(
        "SEARCHBENCH_DB_WAIT",
        "int",
        30,
        "Seconds the container entrypoint waits for the database before giving up.",
    ),
)

BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}


def get(name: str, environ: Mapping[str, str] | None = None) -> Any:
    """The value of a declared setting, parsed; its default when unset."""
    env = os.environ if environ is None else environ
    setting = BY_NAME[name]  # KeyError: an undeclared setting is a programming error
    raw = env.get(name)
    if raw is None and setting.secret and env.get(f"{name}_FILE"):
        path = Path(env[f"{name}_FILE"])
        try:
            raw = path.read_text().strip()
        except OSError as exc:
            raise SettingError(f"{name}_FILE={path}: cannot read it ({exc.strerror})") from None
    if raw is None:
        return setting.default
    value = PARSERS[setting.kind](name, raw)
    if setting.choices and value not in setting.choices:
        allowed = ", ".join(setting.choices)
        raise SettingError(f"{name}={raw!r}: expected one of {allowed}")
    if setting.minimum is not None and value < setting.minimum:
        raise SettingError(f"{name}={raw!r}: expected at least {setting.minimum}")
    return value


def data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The data directory, created if missing."""
    path = Path(get("SEARCHBENCH_DATA_DIR", environ)).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def settings_table_markdown() -> str:
    """The Markdown table of every setting, as the docs show it."""
    rows = ["| variable | type | default | meaning |", "| --- | --- | --- | --- |"]
    for s in SETTINGS:
        default = "" if s.default in (None, "", []) else s.default
        if isinstance(default, list):
            default = ",".join(default)
        note = " Also `NAME_FILE`." if s.secret else ""
        rows.append(f"| `{s.name}` | {s.kind} | `{default}` | {s.help}{note} |")
    return "\n".join(rows) + "\n"
