"""The data directory is the server's: engines ignore ``options.data_dir`` (it comes through
``EndpointConfig.data_dir``, which only the server and the CLI set), registry refuses it as an
endpoint option, and errors a user may see name no server path and no other stored names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from searchbench.domain.search import EndpointConfig, QueryContext, TryConfig
from searchbench.engines import make_engine
from searchbench.engines.local import create_index
from searchbench.engines.registry import refused_options
from searchbench.engines.static import import_csv


def test_server_path_options_are_refused() -> None:
    assert refused_options({"data_dir": "/etc", "request_handler": "select"}) == [
        "data_dir: not an endpoint option; the data directory is the server's "
        "(SEARCHBENCH_DATA_DIR)"
    ]
    assert refused_options({"results": {}}) == []


@pytest.mark.parametrize("kind", ["local", "static"])
def test_engines_ignore_a_data_dir_option(kind: str, tmp_path: Path, data_dir: Path) -> None:
    system = tmp_path / "system"
    system.mkdir()
    engine = make_engine(
        EndpointConfig(kind=kind, url=f"{kind}://anything", options={"data_dir": str(system)})
    )
    ping = engine.ping()
    assert not ping.ok
    assert list(system.iterdir()) == []  # no folder made there, nothing read
    assert str(system) not in ping.message and str(data_dir) not in ping.message


def test_the_data_dir_reaches_engines_through_the_config(tmp_path: Path) -> None:
    source = tmp_path / "docs.jsonl"
    source.write_text(json.dumps({"id": "1", "title": "wing", "body": "x"}) + "\n")
    create_index("wings", source, data_dir=tmp_path)
    csv = tmp_path / "frozen.csv"
    csv.write_text("Query Text,Doc ID,Doc Position\nwing,1,1\n")
    import_csv(csv, "frozen", tmp_path)
    for kind, template in (("local", '{"query": "#$query##"}'), ("static", "")):
        engine = make_engine(
            EndpointConfig(
                kind=kind,
                url=f"{kind}://{'wings' if kind == 'local' else 'frozen'}",
                data_dir=tmp_path,
            )
        )
        result = engine.search(QueryContext("wing"), TryConfig(template=template))
        assert [d.id for d in result.docs] == ["1"], result.error


def test_missing_data_names_no_path_and_lists_no_other_names(tmp_path: Path) -> None:
    csv = tmp_path / "frozen.csv"
    csv.write_text("Query Text,Doc ID,Doc Position\nwing,1,1\n")
    import_csv(csv, "someone-elses", tmp_path)
    for kind in ("local", "static"):
        engine = make_engine(EndpointConfig(kind=kind, url=f"{kind}://missing", data_dir=tmp_path))
        message = engine.ping().message
        assert "'missing'" in message
        assert str(tmp_path) not in message and "someone-elses" not in message


def test_an_unexpected_fault_in_an_adapter_names_no_path(tmp_path: Path, caplog) -> None:
    """A bug or a filesystem fault in an adapter (an OSError names its file) becomes the query's
    error without its words: those go to the server log, the page shows the kind of fault."""
    from searchbench.engines.base import Engine
    from searchbench.engines.runner import run_queries

    secret = tmp_path / "indexes" / ".versions" / "x-1" / "meta.json"

    class Faulty(Engine):
        kind = "local"

        def execute(self, query, try_config):
            raise FileNotFoundError(2, "No such file or directory", str(secret))

        def ping(self):  # pragma: no cover - not called
            raise AssertionError

    [result] = run_queries(
        Faulty(EndpointConfig(kind="local", url="local://x")),
        [QueryContext("q")],
        TryConfig(template=""),
    )
    assert result.error == (
        "internal error in the local adapter (FileNotFoundError); the server log has the details"
    )
    assert str(secret) in caplog.text  # the operator still learns what happened
