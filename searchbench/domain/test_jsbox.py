"""The JavaScript sandbox on its own: JSON in/out, named entry points, limits, resets, errors."""

from __future__ import annotations

import time

import pytest

from searchbench.domain.jsbox import JsBox, JsError, run_js

MAPPERS = """\
function numberOfResultsMapper(data) {
  return data.response.total;
}

function docsMapper(data) {
  return data.response.items.map(function (item) {
    return { id: String(item.sku), title: item.name };
  });
}
"""


def test_it_runs_a_mapper_with_json_in_and_out() -> None:
    data = {"response": {"total": 12, "items": [{"sku": 7, "name": "Lamp"}]}}
    assert run_js(MAPPERS, "numberOfResultsMapper", [data]) == 12
    assert run_js(MAPPERS, "docsMapper", [data]) == [{"id": "7", "title": "Lamp"}]


def test_one_box_serves_several_entries_and_many_calls() -> None:
    with JsBox(MAPPERS, ["numberOfResultsMapper", "docsMapper"]) as box:
        for n in range(50):
            data = {"response": {"total": n, "items": []}}
            assert box.call("numberOfResultsMapper", [data]) == n
            assert box.call("docsMapper", [data]) == []
        assert box.contexts_created == 1


def test_undefined_becomes_none_and_a_missing_entry_is_named() -> None:
    assert run_js("function f() {}", "f") is None
    with pytest.raises(JsError, match="docsMapper"):
        run_js("function other() {}", "docsMapper")


def test_top_level_state_starts_over_on_every_call() -> None:
    with JsBox("var n = 0;\nfunction f() { n += 1; return n; }", ["f"]) as box:
        assert [box.call("f") for _ in range(3)] == [1, 1, 1]
        assert box.contexts_created == 1  # nothing escaped, so no rebuild was needed


def test_a_patched_builtin_forces_a_fresh_context() -> None:
    code = "function f() { var had = 'x' in Object.prototype; Object.prototype.x = 1; return had; }"
    with JsBox(code, ["f"]) as box:
        assert [box.call("f") for _ in range(3)] == [False, False, False]
        assert box.contexts_created == 3


def test_errors_carry_the_users_line_even_inside_nested_functions() -> None:
    code = "function helper(x) {\n  return x.y.z;\n}\nfunction f(data) {\n  return helper(data);\n}"
    with pytest.raises(JsError) as err:
        run_js(code, "f", [{}])
    assert err.value.kind == "error" and err.value.line == 2
    assert "TypeError" in err.value.message


def test_a_syntax_error_names_its_line() -> None:
    with pytest.raises(JsError) as err:
        JsBox("function f() {\n  return 1 +;\n}", ["f"])
    assert err.value.kind == "syntax" and err.value.line == 2


def test_a_thrown_non_error_is_reported() -> None:
    with pytest.raises(JsError, match="nope"):
        run_js("function f() { throw 'nope'; }", "f")


def test_a_runaway_loop_is_stopped_within_its_limit_and_the_box_recovers() -> None:
    code = "function f(spin) { while (spin) {} return 'done'; }"
    with JsBox(code, ["f"], time_limit_ms=250) as box:
        started = time.monotonic()
        with pytest.raises(JsError) as err:
            box.call("f", [True])
        assert err.value.kind == "timeout"
        assert time.monotonic() - started < 1.5
        assert box.call("f", [False]) == "done"


def test_a_memory_bomb_is_stopped_and_the_box_recovers() -> None:
    code = "function f(bomb) {\n  var a = [];\n  while (bomb) { a.push('x'.repeat(1e6) + a.length); }\n  return a.length;\n}"
    with JsBox(code, ["f"], memory_limit_mb=32, time_limit_ms=20000) as box:
        with pytest.raises(JsError) as err:
            box.call("f", [True])
        assert err.value.kind == "memory"
        assert box.call("f", [False]) == 0


@pytest.mark.parametrize("name", ["require", "fetch", "process", "XMLHttpRequest", "WebAssembly"])
def test_there_is_nothing_to_do_io_with(name: str) -> None:
    assert run_js(f"function f() {{ return typeof {name}; }}", "f") == "undefined"


def test_timers_throw() -> None:
    with pytest.raises(JsError, match="setTimeout is not available"):
        run_js("function f() { setTimeout(function () {}, 0); }", "f")


def test_bad_limits_and_names_are_refused() -> None:
    with pytest.raises(ValueError):
        JsBox("function f() {}", ["f"], time_limit_ms=0)
    with pytest.raises(ValueError):
        JsBox("function f() {}", ["not a name"])
