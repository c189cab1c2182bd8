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


def test_builtins_are_frozen_so_a_patch_does_not_reach_the_next_call() -> None:
    code = "function f() { var had = 'x' in Object.prototype; Object.prototype.x = 1; return had; }"
    with JsBox(code, ["f"]) as box:
        assert [box.call("f") for _ in range(3)] == [False, False, False]
        assert box.contexts_created == 1


def test_strict_code_is_told_that_builtins_are_frozen() -> None:
    code = "'use strict';\nfunction f() {\n  Array.prototype.x = 1;\n}"
    with pytest.raises(JsError, match="not extensible") as err:
        run_js(code, "f")
    assert err.value.line == 3


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


# -- every piece of user code runs under the limits (issue 8, item 1) ---------------------------


@pytest.mark.parametrize(
    "queue",
    [
        "Promise.resolve().then(function () { while (true) {} });",
        "(async function () { await null; while (true) {} })();",
        "Promise.reject(1).catch(function () { while (true) {} });",
    ],
)
def test_work_a_call_queues_runs_under_the_time_limit(queue: str) -> None:
    code = f"function f(spin) {{ if (spin) {{ {queue} }} return 'done'; }}"
    with JsBox(code, ["f"], time_limit_ms=250) as box:
        started = time.monotonic()
        with pytest.raises(JsError) as err:
            box.call("f", [True])
        assert err.value.kind == "timeout"
        assert time.monotonic() - started < 1.5
        # the next call is not stuck behind the endless job
        started = time.monotonic()
        assert box.call("f", [False]) == "done"
        assert time.monotonic() - started < 1.0


@pytest.mark.parametrize(
    "escape",
    [
        "}}}; while (true) {}; function g() {{{",
        "};\nwhile (true) {}\nglobalThis.__sb_factory = function () {",
        "}; globalThis.x = 1; (function () {",
    ],
)
def test_code_that_closes_its_wrapper_is_refused_without_running(escape: str) -> None:
    started = time.monotonic()
    with pytest.raises(JsError) as err:
        JsBox("function f() { return 1; }\n" + escape, ["f"], time_limit_ms=250)
    assert err.value.kind == "syntax"
    assert time.monotonic() - started < 1.5


def test_compiling_is_under_the_memory_limit_too() -> None:
    code = "function f() { return 1; }\n// " + "x" * (48 * 1024 * 1024)
    with pytest.raises(JsError) as err:
        JsBox(code, ["f"], memory_limit_mb=16, time_limit_ms=5000)
    assert err.value.kind == "memory"


@pytest.mark.parametrize(
    "leak",
    [
        "Map.leak",
        "Array.from.leak",
        "JSON.leak",
        "Math.leak",
        "Intl.leak",
        "Object.getPrototypeOf([][Symbol.iterator]()).leak",
        "Object.getPrototypeOf(function* () {}).leak",
        "Object.getPrototypeOf(Uint8Array).leak",
    ],
)
def test_no_builtin_carries_state_from_one_call_to_the_next(leak: str) -> None:
    code = f"function f() {{ var had = {leak}; try {{ {leak} = 'x'; }} catch (e) {{}} return had === undefined; }}"
    with JsBox(code, ["f"]) as box:
        assert [box.call("f") for _ in range(3)] == [True, True, True]


def test_regexp_statics_do_not_carry_the_last_match() -> None:
    code = (
        "function f(s) { var before = RegExp.$1; /(\\w+)/.exec(s); return before === undefined; }"
    )
    with JsBox(code, ["f"]) as box:
        assert box.call("f", ["secret"]) is True
        assert box.call("f", ["other"]) is True


def test_the_sandbox_machinery_cannot_be_replaced() -> None:
    code = (
        "function f() {\n"
        "  var seen = typeof globalThis.leak;\n"
        "  try { globalThis.__sb_dirty = function () { return false; }; } catch (e) {}\n"
        "  try { Object.defineProperty(globalThis, 'leak', {value: 1, configurable: false}); } catch (e) {}\n"
        "  return seen;\n"
        "}"
    )
    with JsBox(code, ["f"]) as box:
        assert [box.call("f") for _ in range(3)] == ["undefined"] * 3


def test_a_new_global_is_removed_after_the_call() -> None:
    code = "function f() { var had = typeof leaked; leaked = 1; return had; }"
    with JsBox(code, ["f"]) as box:
        assert [box.call("f") for _ in range(3)] == ["undefined"] * 3
        assert box.contexts_created == 1


@pytest.mark.parametrize(
    "name", ["WeakRef", "FinalizationRegistry", "Atomics", "SharedArrayBuffer"]
)
def test_nothing_runs_outside_a_call(name: str) -> None:
    assert run_js(f"function f() {{ return typeof {name}; }}", "f") == "undefined"


def test_the_error_names_the_line_once() -> None:
    with pytest.raises(JsError) as err:
        JsBox("function f() {\n  return 1 +;\n}", ["f"])
    assert str(err.value).count("line 2") == 1
