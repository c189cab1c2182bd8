"""Engines from the table of engine kinds (``searchbench.domain.engine_kinds.ENGINES``, pure data
that case files read too): making an engine for an endpoint, the options users may not set, and
the docs' tables. Adapter classes are imported on first use, so one broken adapter does not
break the others.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from searchbench.domain.engine_kinds import ENGINES, EngineKind
from searchbench.domain.search import EndpointConfig
from searchbench.engines.base import Engine, EngineError

__all__ = ["ENGINES", "EngineKind", "adapter", "make_engine", "refused_options"]


# Options that would name a server path or file. Users never choose those: the data directory is
# the server's, handed to engines as EndpointConfig.data_dir by the server or the command line.
SERVER_OPTIONS: dict[str, str] = {
    "data_dir": "the data directory is the server's (SEARCHBENCH_DATA_DIR)",
}


def refused_options(options: Mapping[str, Any], kind: str | None = None) -> list[str]:
    """One problem per endpoint option a user may not set or gave a bad value (empty when all
    are fine); with ``kind``, the engine's own checks too (limits within the server's ceilings)."""
    problems = [
        f"{name}: not an endpoint option; {why}"
        for name, why in SERVER_OPTIONS.items()
        if name in options
    ]
    if kind in ENGINES:
        problems += adapter(ENGINES[kind]).option_problems(options)
    return problems


def make_engine(config: EndpointConfig) -> Engine:
    """An engine for an endpoint; EngineError for an unknown kind."""
    try:
        entry = ENGINES[config.kind]
    except KeyError:
        known = ", ".join(sorted(ENGINES))
        raise EngineError(f"unknown engine kind {config.kind!r} (known: {known})") from None
    return adapter(entry)(config)


def adapter(kind: EngineKind) -> type[Engine]:
    """The adapter class of a row of the table, imported on first use."""
    module_name, _, cls_name = kind.target.partition(":")
    cls: type[Engine] = getattr(importlib.import_module(module_name), cls_name)
    return cls


def markdown_tables() -> str:
    """The engine-kind and explain-kind tables of docs/engines.md (kept current by a test)."""
    from searchbench.engines.explain import EXPLAIN_KINDS

    rows = ["| kind | engine | endpoint URL | template example |", "| --- | --- | --- | --- |"]
    for e in ENGINES.values():
        rows.append(f"| `{e.kind}` | {e.label} | {e.url_hint} | `{e.template_example}` |")
    rows += ["", "| explain node kind | meaning |", "| --- | --- |"]
    rows += [f"| `{k}` | {v} |" for k, v in EXPLAIN_KINDS.items()]
    return "\n".join(rows) + "\n"
