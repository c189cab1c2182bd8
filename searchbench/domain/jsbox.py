"""A sandbox for user JavaScript: embedded V8 (mini-racer), limits, no I/O, JSON in and out.

Used for Quepid custom scorers and for the JSON-API engine's mapper functions
(``numberOfResultsMapper(data)``, ``docsMapper(data)``). The guarantees:

- **No I/O.** V8 alone has no file, network or process access; mini-racer's ``setTimeout`` is
  replaced by a function that throws; ``WebAssembly``, ``Atomics``, ``SharedArrayBuffer``,
  ``WeakRef`` and ``FinalizationRegistry`` (whose callbacks would run outside any call) are removed.
- **Every piece of user code runs under the limits.** The code is first parsed on its own as a
  function body, so it cannot close the wrapper around it and run at the top level; compiling,
  each call and every job a call queues (``Promise.then``, ``await``) run under the wall-clock
  limit, and the isolate under a hard heap limit. The time limit covers a call *and* the jobs it
  queued: the box waits for the job queue to drain within what is left of the limit. A runaway
  loop or a memory bomb raises :class:`JsError` and the context is thrown away (a terminated
  isolate is not trusted again).
- **No state between evaluations.** The user's code is wrapped in a factory that runs afresh for
  every call, so its top-level variables start over each time. Every built-in object reachable
  from the global object is frozen once the context is set up (as SES's ``lockdown`` does), the
  existing globals are made read-only, and RegExp's legacy match statics (``RegExp.$1``) are
  removed; a global a call creates is deleted after it, and anything that cannot be undone makes
  the box build a fresh context before the next call.
- **Errors name the user's line.** The user's code is compiled as its own script, so stack
  frames carry its own line numbers; the trusted wrapper lines around it are subtracted.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections.abc import Sequence
from contextlib import ExitStack
from typing import Any

from py_mini_racer import (
    JSEvalException,
    JSOOMException,
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
  delete globalThis.__timer_manager;
  for (const name of ["WebAssembly", "Atomics", "SharedArrayBuffer", "WeakRef",
                      "FinalizationRegistry"]) {
    delete globalThis[name];
  }
  // RegExp's legacy statics carry the last match of one call into the next.
  for (const key of Reflect.ownKeys(RegExp)) {
    if (!["length", "name", "prototype", "escape"].includes(key)) { delete RegExp[key]; }
  }

  // Parses the user's code on its own, as a function body, without running it: code that
  // would close the wrapper it is put in (``}}; loop()``) fails here.
  globalThis.__sb_check = function (code) { new Function(code); };

  const describe = (obj) =>
    Reflect.ownKeys(obj).map((key) => [key, Object.getOwnPropertyDescriptor(obj, key)]);
  const same = (a, b) =>
    a !== undefined && b !== undefined && Object.is(a.value, b.value) && a.get === b.get &&
    a.set === b.set && a.writable === b.writable;
  let baseline = null;

  // Freezes every object reachable from the global object (the values, getters and setters of
  // its properties, and prototypes) and makes the existing globals read-only; then records them.
  globalThis.__sb_seal = function () {
    const seen = new Set([globalThis]);
    const queue = [];
    const visit = (value) => {
      if ((typeof value === "object" && value !== null) || typeof value === "function") {
        if (!seen.has(value)) { seen.add(value); queue.push(value); }
      }
    };
    const walk = (obj) => {
      visit(Object.getPrototypeOf(obj));
      for (const key of Reflect.ownKeys(obj)) {
        const desc = Object.getOwnPropertyDescriptor(obj, key);
        if (desc === undefined) { continue; }
        if ("value" in desc) { visit(desc.value); } else { visit(desc.get); visit(desc.set); }
      }
    };
    walk(globalThis);
    // Intrinsics no global property leads to (iterator and generator prototypes, …).
    const hidden = [
      () => [][Symbol.iterator](), () => new Map()[Symbol.iterator](),
      () => new Set()[Symbol.iterator](), () => ""[Symbol.iterator](), () => "a".matchAll(/a/g),
      () => function* () {}, () => (function* () {})(), () => async function () {},
      () => async function* () {}, () => (async function* () {})(),
      () => [].values().map((x) => x), () => Iterator.from({ next() { return { done: true }; } }),
      () => new Intl.Segmenter().segment(""), () => new Intl.Segmenter().segment("")[Symbol.iterator](),
    ];
    for (const make of hidden) {
      try { visit(make()); } catch (e) { /* not in this V8 */ }
    }
    while (queue.length > 0) {
      const obj = queue.pop();
      walk(obj);
      Object.freeze(obj);
    }
    for (const [key, desc] of describe(globalThis)) {
      const locked = "value" in desc ? { configurable: false, writable: false } : { configurable: false };
      Object.defineProperty(globalThis, key, locked);
    }
    baseline = { globals: describe(globalThis), proto: Object.getPrototypeOf(globalThis) };
  };

  // Deletes the globals a call created; true when something could not be undone.
  globalThis.__sb_dirty = function () {
    const known = new Set(baseline.globals.map(([key]) => key));
    let dirty = false;
    for (const key of Reflect.ownKeys(globalThis)) {
      if (!known.has(key) && !delete globalThis[key]) { dirty = true; }
    }
    for (const [key, before] of baseline.globals) {
      if (!same(before, Object.getOwnPropertyDescriptor(globalThis, key))) { dirty = true; }
    }
    if (!Object.isExtensible(globalThis) || Object.getPrototypeOf(globalThis) !== baseline.proto) {
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

_PARSE_LINE = re.compile(r"^(<anonymous>|undefined):(\d+): (.*)$", re.MULTILINE)


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
    ``syntax``, ``error``, ``timeout``, ``memory``, ``result``. ``str()`` names the line once;
    ``message`` is the text without it.
    """

    def __init__(self, message: str, *, kind: str, line: int | None = None) -> None:
        super().__init__(f"{message} (line {line})" if line is not None else message)
        self.message = message
        self.kind = kind
        self.line = line


class JsBox:
    """User code compiled once, called many times under limits, reset between calls.

    ``code`` is the user's script: it defines the functions named in ``exports`` (its top-level
    statements run afresh on every call). ``header`` and ``footer`` are trusted source a caller
    puts around it (the user's code must parse on its own, so it cannot close them). ``prelude``
    is trusted helper code installed in the context; ``call(entry, args, via=NAME)`` calls
    prelude function ``NAME(userFn, *args)`` instead of the user's function directly.
    """

    def __init__(
        self,
        code: str,
        exports: Sequence[str],
        *,
        prelude: str = "",
        header: str = "",
        footer: str = "",
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
        self.line_offset = header.count("\n")
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
            f"{header}{code}\n{footer}"
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
        self._mr, self._stack = mr, stack
        deadline = time.monotonic() + self.time_limit_ms / 1000
        try:
            mr.set_hard_memory_limit(self.memory_limit_mb * 1024 * 1024)
            self._eval(_BASE, deadline, "setting up the sandbox")
            if self.prelude:
                self._eval(self.prelude + "\n//# sourceURL=prelude.js\n", deadline, "setup")
            try:
                self._eval(f"__sb_check({json.dumps(self.code)})", deadline, "compiling")
                self._eval(self._source, deadline, "compiling")
            except _Failed as exc:
                raise self._syntax_error(exc.text) from None
            self._eval("__sb_seal()", deadline, "setting up the sandbox")
        except BaseException:
            self._discard()
            raise
        self.contexts_created += 1
        return mr

    def _eval(self, code: str, deadline: float, doing: str) -> Any:
        """Evaluate trusted ``code`` in the current context within ``deadline``.

        The time and memory limits end the context and raise :class:`JsError`; any other
        exception raises :class:`_Failed` with V8's text (the context is kept).
        """
        mr = self._mr
        assert mr is not None
        # mini-racer needs a positive timeout; what is left of the budget, never less than 1 ms.
        left = max(deadline - time.monotonic(), 0.001)
        try:
            result = mr.eval(code, timeout_sec=left)
        except JSTimeoutException:
            self._discard()
            raise JsError(
                f"stopped after {self.time_limit_ms} ms (time limit) while {doing}: "
                "an endless loop, or work queued with Promise/await that does not end?",
                kind="timeout",
            ) from None
        except JSOOMException:
            self._discard()
            raise self._memory_error(doing) from None
        except JSEvalException as exc:
            if mr.was_hard_memory_limit_reached():
                self._discard()
                raise self._memory_error(doing) from None
            raise _Failed(str(exc)) from None
        if mr.was_hard_memory_limit_reached():
            self._discard()
            raise self._memory_error(doing)
        return result

    def _memory_error(self, doing: str) -> JsError:
        return JsError(
            f"stopped at the memory limit of {self.memory_limit_mb} MB while {doing}",
            kind="memory",
        )

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
        """Run ``entry(*args)`` (or ``via(entry, *args)``); returns its JSON-decoded result.

        The call and every job it queued share one time limit: the job queue drains before the
        cleanup step, which runs on what is left of the limit.
        """
        if entry not in self.exports:
            raise ValueError(f"{entry!r} is not one of the exported names {self.exports}")
        args_json = json.dumps(list(args), allow_nan=False, default=str)
        expr = f"__sb_call({json.dumps(entry)}, {json.dumps(via)}, {json.dumps(args_json)})"
        with self._lock:
            self._context()
            deadline = time.monotonic() + self.time_limit_ms / 1000
            try:
                raw = self._eval(expr, deadline, "running")
                # Queued jobs run before this starts; it times out while they loop.
                dirty = self._eval("__sb_dirty()", deadline, "running queued jobs")
            except _Failed as exc:
                self._discard()
                raise JsError(f"JavaScript failed: {exc.text}", kind="error") from None
            if dirty:
                self._discard()
        outcome = json.loads(str(raw))
        if not outcome["ok"]:
            raise self._runtime_error(outcome)
        return json.loads(outcome["json"])

    # -- error reporting ---------------------------------------------------------------------

    def _user_line(self, script_line: int) -> int | None:
        # The factory header is one line; callers may have added more.
        line = script_line - 1 - self.line_offset
        return line if 1 <= line <= self.code.count("\n") + 1 else None

    def _syntax_error(self, text: str) -> JsError:
        match = _PARSE_LINE.search(text)
        if match and match.group(1) == "undefined":  # from __sb_check's Function constructor
            line = int(match.group(2)) - 2
            return JsError(match.group(3), kind="syntax", line=line if line >= 1 else None)
        if match:
            return JsError(match.group(3), kind="syntax", line=self._user_line(int(match.group(2))))
        return JsError(text.strip().splitlines()[0], kind="syntax")

    def _runtime_error(self, outcome: dict[str, Any]) -> JsError:
        line = None
        for match in re.finditer(rf"{re.escape(USER_FILE)}:(\d+):\d+", outcome.get("stack", "")):
            line = self._user_line(int(match.group(1)))
            if line is not None:
                break
        name = outcome.get("name") or "Error"
        return JsError(f"{name}: {outcome.get('message', '')}", kind="error", line=line)


class _Failed(Exception):
    """V8 refused trusted code (a parse error in the user's part, mostly); ``text`` is V8's."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


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
