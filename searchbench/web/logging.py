"""Structured logs: JSON lines on stdout (and in SEARCHBENCH_LOG_DIR/searchbench.log when set).

Every line carries timestamp, level, event, logger, request_id (bound by RequestIdMiddleware),
version and revision, whether it came from structlog (`structlog.get_logger()`) or from the
standard library (`logging.getLogger()`, Django, gunicorn). Django's settings use
``LOGGING = build_logging_config()``; gunicorn's config uses the same dict, so the server's own
messages look like the app's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import structlog
from structlog.types import EventDict, Processor

from searchbench import __version__, env
from searchbench.web.revision import revision

LOG_FILE_NAME = "searchbench.log"


def _add_app_info(_logger: Any, _method: str, event_dict: EventDict) -> EventDict:
    event_dict.setdefault("version", __version__)
    event_dict.setdefault("revision", revision())
    return event_dict


def _ensure_request_id(_logger: Any, _method: str, event_dict: EventDict) -> EventDict:
    # A stable key set makes the lines easy to query; outside a request it is null.
    event_dict.setdefault("request_id", None)
    return event_dict


def shared_processors() -> list[Processor]:
    """What every line goes through, before it is rendered."""
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_app_info,
        _ensure_request_id,
        structlog.stdlib.ExtraAdder(),
    ]


def configure_structlog() -> None:
    """Route structlog through the standard library, so one handler set renders everything."""
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared_processors(),
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            structlog.processors.UnicodeDecoder(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def _formatter(renderer: Processor) -> dict[str, Any]:
    return {
        "()": structlog.stdlib.ProcessorFormatter,
        "processors": [
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
        "foreign_pre_chain": [*shared_processors(), structlog.processors.format_exc_info],
    }


def build_logging_config(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Django's LOGGING dict (dictConfig schema); also configures structlog to feed it."""
    configure_structlog()
    level = env.get("SEARCHBENCH_LOG_LEVEL", environ)
    console = env.get("SEARCHBENCH_LOG_FORMAT", environ)
    log_dir = env.get("SEARCHBENCH_LOG_DIR", environ)

    handlers: dict[str, dict[str, Any]] = {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "console" if console == "console" else "json",
        }
    }
    if log_dir is not None:
        Path(log_dir).mkdir(parents=True, exist_ok=True)
        handlers["file"] = {
            # Reopens the file when a shipper or logrotate moves it away.
            "class": "logging.handlers.WatchedFileHandler",
            "filename": str(Path(log_dir) / LOG_FILE_NAME),
            "encoding": "utf-8",
            "formatter": "json",
        }
    names = list(handlers)
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": _formatter(structlog.processors.JSONRenderer(sort_keys=False)),
            "console": _formatter(structlog.dev.ConsoleRenderer(colors=False)),
        },
        "handlers": handlers,
        "root": {"handlers": names, "level": level},
        "loggers": {
            # Django and gunicorn log to their own handlers by default; send them to ours once.
            "django": {"handlers": names, "level": level, "propagate": False},
            "django.server": {"handlers": names, "level": level, "propagate": False},
            "gunicorn.error": {"handlers": names, "level": level, "propagate": False},
            # gunicorn writes its own access line whenever a log config is given; drop it, as
            # RequestIdMiddleware logs each request once, with its request id.
            "gunicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
        },
    }


def get_logger(name: str) -> Any:
    return structlog.get_logger(name)


__all__ = ["LOG_FILE_NAME", "build_logging_config", "configure_structlog", "get_logger"]
