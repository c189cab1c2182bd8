"""The table of engine kinds: pure data, read by the engines (``engines.registry`` makes an engine
from a row), the web forms, the case file loader, the CLI help and docs/engines.md.

To add a kind, add one row to ENGINES: ``"kind": EngineKind("kind", "module.path:Class", …)``
with what the kind can do; nothing else compares kind names.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EngineKind:
    """One row of the table: what the adapter is and what it can do.

    ``uses_template``: queries are sent through the try's template (static results are looked
    up by query text instead). ``remote``: reached over HTTP, so the URL policy applies and an
    outage is a per-query error (a local index or result set is checked up front instead).
    ``stored_results``: serves a result set stored on the server, which has an owner.
    ``scheme``: the URL names something kept on the server (``local://NAME``), which a case
    file may write as ``index: NAME``.
    """

    kind: str
    target: str  # "package.module:ClassName"
    label: str
    url_hint: str
    template_example: str
    uses_template: bool = True
    remote: bool = True
    stored_results: bool = False
    scheme: str = ""


ENGINES: dict[str, EngineKind] = {
    "local": EngineKind(
        "local",
        "searchbench.engines.local.engine:LocalEngine",
        "Built-in (tantivy)",
        "local://NAME (an index from the Indexes page or `searchbench index create`)",
        '{"query": "#$query##", "fields": ["title^2", "body"]}',
        remote=False,
        scheme="local://",
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
        scheme="static://",
    ),
}
