"""The table of engine kinds. The UI's choices, the CLI help and docs/engines.md derive from it.

To add a kind, add one line to ENGINES: ``"kind": EngineKind("kind", "module.path:Class", "…")``.
Classes are imported on first use, so one broken adapter does not break the others.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from searchbench.engines.base import EndpointConfig, Engine, EngineError


@dataclass(frozen=True)
class EngineKind:
    """One row of the table: what the adapter is and what it can do.

    ``uses_template``: queries are sent through the try's template (static results are looked
    up by query text instead). ``remote``: reached over HTTP, so the URL policy applies and an
    outage is a per-query error (a local index or result set is checked up front instead).
    ``stored_results``: serves a result set stored on the server, which has an owner.
    """

    kind: str
    target: str  # "package.module:ClassName"
    label: str
    url_hint: str
    template_example: str
    uses_template: bool = True
    remote: bool = True
    stored_results: bool = False

    def load(self) -> type[Engine]:
        module_name, _, cls_name = self.target.partition(":")
        cls: type[Engine] = getattr(importlib.import_module(module_name), cls_name)
        return cls


ENGINES: dict[str, EngineKind] = {
    "local": EngineKind(
        "local",
        "searchbench.engines.local.engine:LocalEngine",
        "Built-in (tantivy)",
        "local://NAME (an index made with `searchbench index create`)",
        '{"query": "#$query##", "fields": ["title^2", "body"]}',
        remote=False,
    ),
    "solr": EngineKind(
        "solr",
        "searchbench.engines.solr.engine:SolrEngine",
        "Apache Solr",
        "http://host:8983/solr/COLLECTION",
        "q=#$query##&defType=edismax&qf=title^2 body",
    ),
    "elasticsearch": EngineKind(
        "elasticsearch",
        "searchbench.engines.elasticsearch.engine:ElasticsearchEngine",
        "Elasticsearch",
        "http://host:9200/INDEX",
        '{"query": {"multi_match": {"query": "#$query##", "fields": ["title^2", "body"]}}}',
    ),
    "opensearch": EngineKind(
        "opensearch",
        "searchbench.engines.opensearch.engine:OpenSearchEngine",
        "OpenSearch",
        "https://host:9200/INDEX",
        '{"query": {"multi_match": {"query": "#$query##", "fields": ["title^2", "body"]}}}',
    ),
    "searchapi": EngineKind(
        "searchapi",
        "searchbench.engines.searchapi.engine:SearchApiEngine",
        "JSON search API",
        "https://host/search (map the JSON with options docs_path/total_path or mapper_code)",
        "q=#$query##&size=10",
    ),
    "static": EngineKind(
        "static",
        "searchbench.engines.static.engine:StaticEngine",
        "Static results (CSV or snapshot)",
        "static://NAME (a CSV imported as Query Text,Doc ID,Doc Position,fields…)",
        "(not used: results are looked up by query text)",
        uses_template=False,
        remote=False,
        stored_results=True,
    ),
}


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
        problems += ENGINES[kind].load().option_problems(options)
    return problems


def make_engine(config: EndpointConfig) -> Engine:
    """An engine for an endpoint; EngineError for an unknown kind."""
    try:
        entry = ENGINES[config.kind]
    except KeyError:
        known = ", ".join(sorted(ENGINES))
        raise EngineError(f"unknown engine kind {config.kind!r} (known: {known})") from None
    return entry.load()(config)


def markdown_tables() -> str:
    """The engine-kind and explain-kind tables of docs/engines.md (kept current by a test)."""
    from searchbench.engines.explain import EXPLAIN_KINDS

    rows = ["| kind | engine | endpoint URL | template example |", "| --- | --- | --- | --- |"]
    for e in ENGINES.values():
        rows.append(f"| `{e.kind}` | {e.label} | {e.url_hint} | `{e.template_example}` |")
    rows += ["", "| explain node kind | meaning |", "| --- | --- |"]
    rows += [f"| `{k}` | {v} |" for k, v in EXPLAIN_KINDS.items()]
    return "\n".join(rows) + "\n"
