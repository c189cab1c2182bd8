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


def gunicorn_options(args: argparse.Namespace) -> dict[str, Any]:
    from searchbench.web.logging import build_logging_config

    logconfig = build_logging_config()
    # The request-id middleware logs each request; gunicorn's own access lines would double them.
    logconfig.setdefault("loggers", {})["gunicorn.access"] = {
        "handlers": [],
        "level": "CRITICAL",
        "propagate": False,
    }
    port = args.port if args.port is not None else env.get("PORT")
    return {
        "bind": f"{args.host}:{port}",
        "workers": args.workers or env.get("WEB_CONCURRENCY"),
        "worker_class": "gthread",
        "threads": 4,
        "timeout": 60,
        "graceful_timeout": 6,
        "accesslog": None,
        "errorlog": "-",
        "logconfig_dict": logconfig,
    }


def run(args: argparse.Namespace) -> int:
    from django.core.exceptions import ImproperlyConfigured
    from gunicorn.app.base import BaseApplication

    from searchbench.web.bootstrap import collect_static, setup_django

    try:
        setup_django()
    except ImproperlyConfigured as exc:
        print(f"searchbench serve: configuration error: {exc}", file=sys.stderr)
        return 2
    if not args.no_collectstatic:
        collect_static()
    options = gunicorn_options(args)

    class _Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            from searchbench.web.wsgi import application

            return application

    print(f"searchbench: serving on http://{options['bind']}/ ({options['workers']} workers)")
    _Server().run()
    return 0
