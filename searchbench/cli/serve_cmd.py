"""`searchbench serve`: the production web server (gunicorn) for the web app."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from searchbench import env

HELP = (
    "Serve the web app with gunicorn (production server; run `searchbench manage migrate` first)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="port (default: PORT, else 8000)")
    parser.add_argument(
        "--workers", type=int, default=None, help="worker processes (default: WEB_CONCURRENCY)"
    )
    parser.add_argument(
        "--no-collectstatic",
        action="store_true",
        help="do not collect static files into SEARCHBENCH_STATIC_ROOT before starting",
    )


def gunicorn_options(host: str, port: int, workers: int) -> dict[str, Any]:
    from searchbench.web.logging import build_logging_config

    logconfig = build_logging_config()
    # The request-id middleware logs each request; gunicorn's own access lines would double them.
    logconfig.setdefault("loggers", {})["gunicorn.access"] = {
        "handlers": [],
        "level": "CRITICAL",
        "propagate": False,
    }
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": 4,
        "timeout": 60,
        "graceful_timeout": 6,
        "accesslog": None,
        "errorlog": "-",
        "logconfig_dict": logconfig,
        # gunicorn's control socket would be created under the user's home; nothing uses it.
        "control_socket_disable": True,
    }


def serve(host: str, port: int, workers: int) -> None:
    """Run gunicorn in this process until it is stopped (Django must be set up)."""
    from django.db import connections
    from gunicorn.app.base import BaseApplication

    # Workers are forked from this process: a database connection opened here (the demo's
    # set-up) must not be shared with them.
    connections.close_all()
    options = gunicorn_options(host, port, workers)

    class _Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            from searchbench.web.wsgi import application

            return application

    _Server().run()


def run(args: argparse.Namespace) -> int:
    from django.core.exceptions import ImproperlyConfigured

    from searchbench.web.bootstrap import collect_static, setup_django

    try:
        setup_django()
    except ImproperlyConfigured as exc:
        print(f"searchbench serve: configuration error: {exc}", file=sys.stderr)
        return 2
    if not args.no_collectstatic:
        collect_static()
    port = args.port if args.port is not None else int(env.get("PORT"))
    workers = args.workers or int(env.get("WEB_CONCURRENCY"))
    print(f"searchbench: serving on http://{args.host}:{port}/ ({workers} workers)")
    serve(args.host, port, workers)
    return 0
