"""Log lines are JSON with a fixed set of keys, on stdout and in SEARCHBENCH_LOG_DIR."""

from __future__ import annotations

import io
import json
import logging
import logging.config
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from searchbench import __version__
from searchbench.web.logging import LOG_FILE_NAME, build_logging_config
from searchbench.web.revision import revision

KEYS = {"timestamp", "level", "event", "logger", "request_id", "version", "revision"}


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    yield
    for handler in root.handlers:
        if handler not in saved[0]:
            handler.close()
    root.handlers[:], root.level = saved
    structlog.contextvars.clear_contextvars()


def _apply(environ: dict[str, str], stream: io.StringIO) -> dict:
    config = build_logging_config(environ)
    config["handlers"]["stdout"]["stream"] = stream
    logging.config.dictConfig(config)
    return config


def _lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_it_writes_structlog_and_stdlib_lines_as_json(restore_logging: None) -> None:
    out = io.StringIO()
    _apply({}, out)
    structlog.contextvars.bind_contextvars(request_id="req-1")
    structlog.get_logger("searchbench.test").info("case_run", case=7)
    logging.getLogger("django.request").warning("Not Found: %s", "/nope")
    first, second = _lines(out.getvalue())
    assert first.keys() >= KEYS and second.keys() >= KEYS
    assert first["event"] == "case_run" and first["case"] == 7
    assert first["level"] == "info" and first["logger"] == "searchbench.test"
    assert second["event"] == "Not Found: /nope" and second["level"] == "warning"
    assert first["request_id"] == second["request_id"] == "req-1"
    assert first["version"] == __version__ and first["revision"] == revision()
    assert first["timestamp"].endswith("Z")


def test_it_has_a_null_request_id_outside_requests(restore_logging: None) -> None:
    out = io.StringIO()
    _apply({}, out)
    logging.getLogger("searchbench.startup").info("ready")
    (line,) = _lines(out.getvalue())
    assert line["request_id"] is None


def test_it_also_writes_to_the_log_dir(tmp_path: Path, restore_logging: None) -> None:
    out = io.StringIO()
    log_dir = tmp_path / "logs"
    _apply({"SEARCHBENCH_LOG_DIR": str(log_dir)}, out)
    structlog.get_logger("searchbench.test").error("boom", code=3)
    for handler in logging.getLogger().handlers:
        handler.flush()
    (line,) = _lines((log_dir / LOG_FILE_NAME).read_text())
    assert line["event"] == "boom" and line["code"] == 3 and line.keys() >= KEYS
    assert _lines(out.getvalue()) == [line]


def test_it_renders_exceptions_into_the_line(restore_logging: None) -> None:
    out = io.StringIO()
    _apply({}, out)
    try:
        raise ValueError("bad value")
    except ValueError:
        logging.getLogger("searchbench.test").exception("failed")
    (line,) = _lines(out.getvalue())
    assert "ValueError: bad value" in line["exception"]


def test_it_honours_level_and_console_format(restore_logging: None) -> None:
    out = io.StringIO()
    _apply({"SEARCHBENCH_LOG_LEVEL": "WARNING", "SEARCHBENCH_LOG_FORMAT": "console"}, out)
    logging.getLogger("searchbench.test").info("hidden")
    logging.getLogger("searchbench.test").warning("shown")
    text = out.getvalue()
    assert "hidden" not in text and "shown" in text
    assert not text.lstrip().startswith("{")


def test_gunicorn_and_django_loggers_share_the_handlers() -> None:
    config = build_logging_config({})
    for name in ("django", "gunicorn.error"):
        assert config["loggers"][name]["handlers"] == ["stdout"]
        assert config["loggers"][name]["propagate"] is False
    # Requests are logged once, by the middleware, not again by gunicorn.
    assert config["loggers"]["gunicorn.access"]["handlers"] == []
