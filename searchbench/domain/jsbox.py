"""A sandbox for user JavaScript: embedded V8 (mini-racer), limits, no I/O, JSON in and out.

Used for Quepid custom scorers and for the JSON-API engine's mapper functions
(``numberOfResultsMapper(data)``, ``docsMapper(data)``). The guarantees:

- **No I/O.** V8 alone has no file, network or process access; mini-racer's ``setTimeout`` is
  replaced by a function that throws, and ``Atomics.waitAsync`` and ``WebAssembly`` are removed.
- **Limits per evaluation.** Every call runs under a wall-clock limit and the isolate under a
  hard heap limit; a runaway loop or a memory bomb raises :class:`JsError` and the context is
  thrown away (a terminated isolate is not trusted again).
- **No state between evaluations.** The user's code is wrapped in a factory that runs afresh for
  every call, so its top-level variables start over each time. Anything a call leaves behind
  outside that scope (a new global is deleted; a changed global or a patched built-in prototype
  marks the context dirty) makes the box build a fresh context before the next call.
- **Errors name the user's line.** The user's code is compiled as its own script, so stack
  frames carry its own line numbers; wrapper lines added by a caller are subtracted.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Sequence
from contextlib import ExitStack
from typing import Any

from py_mini_racer import (
    JSEvalException,
    JSOOMException,
    JSParseException,
    JSTimeoutException,
    MiniRacer,
    mini_racer,
)

USER_FILE = "user.js"
DEFAULT_TIME_LIMIT_MS = 1000
DEFAULT_MEMORY_LIMIT_MB = 64

# Installed first in every context: the sandbox rules and the call/cleanup machinery.
_BASE = r"""
(function () {
  const deny = (name) => function () { throw new Error(name + " is not available in the sandbox"); };
  globalThis.setTimeout = deny("setTimeout");
  globalThis.clearTimeout = deny("clearTimeout");
  globalThis.setInterval = deny("setInterval");
  globalThis.__timer_manager = undefined;
  if (typeof Atomics !== "undefined") { delete Atomics.waitAsync; }
  delete globalThis.WebAssembly;

  const intrinsics = [
    Object, Object.prototype, Function.prototype, Array, Array.prototype, String, String.prototype,
    Number, Number.prototype, Boolean.prototype, Symbol, Symbol.prototype, Math, JSON, Reflect,
    Date, Date.prototype, RegExp, RegExp.prototype, Error, Error.prototype, Promise,
    Promise.prototype, Map.prototype, Set.prototype, WeakMap.prototype, WeakSet.prototype,
    Array.prototype[Symbol.iterator], BigInt.prototype,
  ];
  const describe = (obj) =>
    Reflect.ownKeys(obj).map((key) => [key, Object.getOwnPropertyDescriptor(obj, key)]);
  const same = (a, b) =>
    a !== undefined && b !== undefined && Object.is(a.value, b.value) && a.get === b.get &&
    a.set === b.set && a.writable === b.writable;
  let baseline = null;

  globalThis.__sb_seal = function () {
    baseline = {
      globals: describe(globalThis),
      intrinsics: intrinsics.map(describe),
    };
  };

  // Deletes globals a call created; true when something could not be undone.
  globalThis.__sb_dirty = function () {
    const known = new Set(baseline.globals.map(([key]) => key));
    let dirty = false;
    for (const key of Reflect.ownKeys(globalThis)) {
      if (!known.has(key) && !delete globalThis[key]) { dirty = true; }
    }
    for (const [key, before] of baseline.globals) {
      if (!same(before, Object.getOwnPropertyDescriptor(globalThis, key))) { dirty = true; }
    }
    intrinsics.forEach((obj, i) => {
      const before = baseline.intrinsics[i];
      if (Reflect.ownKeys(obj).length !== before.length) { dirty = true; return; }
      for (const [key, desc] of before) {
        if (!same(desc, Object.getOwnPropertyDescriptor(obj, key))) { dirty = true; return; }
      }
    });
    if (!Object.isExtensible(Object.prototype) || Object.getPrototypeOf(globalThis) === null) {
      dirty = true;
    }
    return dirty;
  };

  globalThis.__sb_call = function (entry, via, argsJson) {
    try {
      const exported = globalThis.__sb_factory();
      const fn = exported[entry];
      if (typeof fn !== "function") {
        return JSON.stringify({ ok: false, name: "EntryError",
          message: "the code does not define a function named " + entry });
      }
      const args = JSON.parse(argsJson);
      const result = via ? globalThis[via](fn, ...args) : fn(...args);
      const text = JSON.stringify(result === undefined ? null : result);
      return JSON.stringify({ ok: true, json: text === undefined ? "null" : text });
    } catch (e) {
      const isError = e instanceof Error;
      return JSON.stringify({
        ok: false,
        name: isError ? e.name : typeof e,
        message: isError ? e.message : String(e),
        stack: isError && typeof e.stack === "string" ? e.stack : "",
      });
    }
  };
})();
"""

_PARSE_LINE = re.compile(r"^<anonymous>:(\d+): (.*)$", re.MULTILINE)


_loop: asyncio.AbstractEventLoop | None = None
_loop_lock = threading.Lock()


def _event_loop() -> asyncio.AbstractEventLoop:
    """One long-lived loop for mini-racer's callbacks, shared by every context.

    mini-racer otherwise starts a loop thread per context and closes it with the context; V8's
    late "terminated" callback after a timeout then hits a closed loop.
    """
    global _loop
    with _loop_lock:
        if _loop is None:
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="jsbox-loop", daemon=True).start()
            _loop = loop
        return _loop


class JsError(Exception):
    """User JavaScript failed: a syntax error, a throw, the time or the memory limit.

    ``line`` is 1-based in the user's own code when known; ``kind`` is one of
    ``syntax``, ``error``, ``timeout``, ``memory``, ``result``.
    """

    def __init__(self, message: str, *, kind: str, line: int | None = None) -> None:
        super().__init__(f"{message} (line {line})" if line is not None else message)
        self.message = message
        self.kind = kind
        self.line = line


class JsBox:
    """User code compiled once, called many times under limits, reset between calls.

    ``code`` is a script that defines the functions named in ``exports`` (its top-level
    statements run afresh on every call). ``prelude`` is trusted helper code installed in the
    context; ``call(entry, args, via=NAME)`` calls prelude function ``NAME(userFn, *args)``
    instead of the user's function directly. ``line_offset`` is the number of lines a caller
    put in front of the user's own code.
    """

    def __init__(
        self,
        code: str,
        exports: Sequence[str],
        *,
        prelude: str = "",
        line_offset: int = 0,
        time_limit_ms: int = DEFAULT_TIME_LIMIT_MS,
        memory_limit_mb: int = DEFAULT_MEMORY_LIMIT_MB,
    ) -> None:
        if time_limit_ms <= 0 or memory_limit_mb <= 0:
            raise ValueError("time_limit_ms and memory_limit_mb must be positive")
        for name in exports:
            if not re.fullmatch(r"[A-Za-z_$][\w$]*", name):
                raise ValueError(f"not a JavaScript function name: {name!r}")
        self.code = code
        self.exports = list(exports)
        self.prelude = prelude
        self.line_offset = line_offset
        self.time_limit_ms = time_limit_ms
        self.memory_limit_mb = memory_limit_mb
        self.contexts_created = 0  # how often a fresh context was needed (tests, diagnostics)
        self._lock = threading.Lock()
        self._mr: MiniRacer | None = None
        self._stack: ExitStack | None = None
        exported = ", ".join(
            f"{name}: typeof {name} === 'function' ? {name} : undefined" for name in self.exports
        )
        self._source = (
            "globalThis.__sb_factory = function () {\n"
            f"{code}\n"
            f";return {{{exported}}};\n"
            f"}};\n//# sourceURL={USER_FILE}\n"
        )
        # Compile now so that a syntax error surfaces when the code is saved, not on first use.
        with self._lock:
            self._context()

    # -- context lifecycle -------------------------------------------------------------------

    def _context(self) -> MiniRacer:
        if self._mr is not None:
            return self._mr
        stack = ExitStack()
        mr = stack.enter_context(mini_racer(_event_loop()))
        try:
            mr.set_hard_memory_limit(self.memory_limit_mb * 1024 * 1024)
            mr.eval(_BASE)
            if self.prelude:
                mr.eval(self.prelude + "\n//# sourceURL=prelude.js\n")
            try:
                mr.eval(self._source)
            except JSParseException as exc:
                raise self._syntax_error(str(exc)) from None
            mr.eval("__sb_seal()")
        except BaseException:
            stack.close()
            raise
        self._mr = mr
        self._stack = stack
        self.contexts_created += 1
        return mr

    def _discard(self) -> None:
        if self._stack is not None:
            self._stack.close()
        self._mr = None
        self._stack = None

    def close(self) -> None:
        with self._lock:
            self._discard()

    def __enter__(self) -> JsBox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- calls -------------------------------------------------------------------------------

    def call(self, entry: str, args: Sequence[Any] = (), *, via: str | None = None) -> Any:
        """Run ``entry(*args)`` (or ``via(entry, *args)``); returns its JSON-decoded result."""
        if entry not in self.exports:
            raise ValueError(f"{entry!r} is not one of the exported names {self.exports}")
        args_json = json.dumps(list(args), allow_nan=False, default=str)
        expr = f"__sb_call({json.dumps(entry)}, {json.dumps(via)}, {json.dumps(args_json)})"
        with self._lock:
            mr = self._context()
            try:
                raw = mr.eval(expr, timeout_sec=self.time_limit_ms / 1000)
            except JSTimeoutException:
                self._discard()
                raise JsError(
                    f"stopped after {self.time_limit_ms} ms (time limit): an endless loop?",
                    kind="timeout",
                ) from None
            except JSOOMException:
                self._discard()
                raise JsError(
                    f"stopped at the memory limit of {self.memory_limit_mb} MB", kind="memory"
                ) from None
            except JSEvalException as exc:
                self._discard()
                if mr.was_hard_memory_limit_reached():
                    raise JsError(
                        f"stopped at the memory limit of {self.memory_limit_mb} MB",
                        kind="memory",
                    ) from None
                raise JsError(f"JavaScript failed: {exc}", kind="error") from None
            if mr.was_hard_memory_limit_reached():
                self._discard()
                raise JsError(
                    f"stopped at the memory limit of {self.memory_limit_mb} MB", kind="memory"
                )
            try:
                if mr.eval("__sb_dirty()"):
                    self._discard()
            except JSEvalException:
                self._discard()
        outcome = json.loads(str(raw))
        if not outcome["ok"]:
            raise self._runtime_error(outcome)
        return json.loads(outcome["json"])

    # -- error reporting ---------------------------------------------------------------------

    def _user_line(self, script_line: int) -> int | None:
        # The factory header is one line; callers may have added more.
        line = script_line - 1 - self.line_offset
        return line if 1 <= line <= self.code.count("\n") + 1 - self.line_offset else None

    def _syntax_error(self, text: str) -> JsError:
        match = _PARSE_LINE.search(text)
        if not match:
            return JsError(text.strip().splitlines()[0], kind="syntax")
        return JsError(match.group(2), kind="syntax", line=self._user_line(int(match.group(1))))

    def _runtime_error(self, outcome: dict[str, Any]) -> JsError:
        line = None
        for match in re.finditer(rf"{re.escape(USER_FILE)}:(\d+):\d+", outcome.get("stack", "")):
            line = self._user_line(int(match.group(1)))
            if line is not None:
                break
        name = outcome.get("name") or "Error"
        return JsError(f"{name}: {outcome.get('message', '')}", kind="error", line=line)


def run_js(
    code: str,
    entry: str,
    args: Sequence[Any] = (),
    time_limit_ms: int = DEFAULT_TIME_LIMIT_MS,
    memory_limit_mb: int = DEFAULT_MEMORY_LIMIT_MB,
) -> Any:
    """One-shot: define ``code``, call function ``entry(*args)``, return its JSON result.

    For repeated calls of the same code keep a :class:`JsBox` instead (one compile).
    """
    with JsBox(code, [entry], time_limit_ms=time_limit_ms, memory_limit_mb=memory_limit_mb) as box:
        return box.call(entry, args)
