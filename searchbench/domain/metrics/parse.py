"""Measure names, parsed in one place.

Accepted forms (the label printed is always the name as written, except that trec_eval's
``name.params`` lists expand to one label per parameter, as trec_eval prints them):

* trec_eval: ``map``, ``P_10``, ``ndcg_cut_10``, ``iprec_at_recall_0.10``, ``P.5,10,20``,
  ``ndcg.1=3,2=9``, ``utility.2,-1,0,0``, ``rbp.p=0.8``; bare ``P`` means trec_eval's default
  cutoffs; groups ``official``, ``all_trec``, ``set``.
* ir_measures: ``AP``, ``AP@100``, ``P@10``, ``P(rel=2)@5``, ``R@100``, ``RR``, ``nDCG``,
  ``nDCG@10``, ``nDCG(gain=exp)@10``, ``Rprec``, ``Success@1``, ``ERR(max=4)@20``, ``RBP(p=0.8)``,
  ``Judged@10``, ``Bpref``, ``infAP``, ``IPrec@0.5``, ``NumRet`` ...
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

from searchbench.domain.metrics.registry import GROUPS, IR_NAMES, MEASURES, MeasureInfo, depth
from searchbench.domain.metrics.spec import MeasureSpec


class UnknownMeasure(ValueError):
    """A measure name (or its parameters) that we cannot read."""


_IR = re.compile(
    r"^(?P<name>[A-Za-z][A-Za-z0-9_]*)(?:\((?P<params>[^()]*)\))?(?:@(?P<cut>[^@]+))?$"
)
_TREC_SUFFIX = re.compile(r"^(?P<base>.+?)_(?P<arg>\d+(?:\.\d*)?|\.\d+)$")


def _unknown(name: str, why: str = "") -> UnknownMeasure:
    known = [*MEASURES, *IR_NAMES, *GROUPS]
    close = difflib.get_close_matches(name.split("@")[0].split("(")[0].split(".")[0], known, n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    reason = f": {why}" if why else ""
    return UnknownMeasure(f"unknown measure {name!r}{reason}{hint}")


def _number(text: str, name: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise _unknown(name, f"{text!r} is not a number") from None


def _cutoff(text: str, name: str) -> int:
    value = _number(text, name)
    if value < 1:
        raise _unknown(name, f"cutoff {text!r} must be a whole number >= 1")
    return int(value)


def _fmt_point(x: float) -> str:
    return f"{x:.2f}"


def _expand_defaults(info: MeasureInfo) -> list[MeasureSpec]:
    if info.params == "cutoffs":
        return [
            MeasureSpec(f"{info.name}_{int(k)}", info.name, cutoff=int(k)) for k in info.defaults
        ]
    if info.params == "points":
        return [
            MeasureSpec(f"{info.name}_{_fmt_point(x)}", info.name, value=x) for x in info.defaults
        ]
    return [MeasureSpec(info.name, info.name)]


def _dotted(name: str, info: MeasureInfo, raw: str) -> list[MeasureSpec]:
    parts = [p for p in raw.split(",") if p != ""]
    if not parts:
        raise _unknown(name, "no parameters after '.'")
    label = f"{info.name}_{raw}"
    if info.params in ("cutoffs", "length"):
        ks = sorted({_cutoff(p, name) for p in parts})
        return [MeasureSpec(f"{info.name}_{k}", info.name, cutoff=k) for k in ks]
    if info.params == "points":
        xs = sorted({_number(p, name) for p in parts})
        return [MeasureSpec(f"{info.name}_{_fmt_point(x)}", info.name, value=x) for x in xs]
    if info.params == "values":
        values = tuple(_number(p, name) for p in parts)
        if info.name == "utility" and len(values) != 4:
            raise _unknown(name, "utility takes exactly 4 coefficients")
        return [MeasureSpec(label, info.name, values=values)]
    if info.params in ("beta", "grade"):
        if len(parts) != 1:
            raise _unknown(name, f"{info.name} takes one parameter")
        return [MeasureSpec(label, info.name, value=_number(parts[0], name))]
    if info.params in ("gains", "p"):
        gains: list[tuple[int, float]] = []
        value: float | None = None
        for part in parts:
            key, eq, val = part.partition("=")
            if not eq:
                raise _unknown(name, f"expected grade=gain or p=value, got {part!r}")
            if key == "p" and info.params == "p":
                value = _number(val, name)
            elif re.fullmatch(r"[-+]?\d+", key):
                gains.append((int(key), _number(val, name)))
            else:
                raise _unknown(name, f"unknown parameter {key!r}")
        return [MeasureSpec(label, info.name, value=value, gains=tuple(gains))]
    raise _unknown(name, f"{info.name} takes no parameters")


def _trec(name: str) -> list[MeasureSpec] | None:
    base, dot, raw = name.partition(".")
    if base in MEASURES and MEASURES[base].trec:
        info = MEASURES[base]
        return _dotted(name, info, raw) if dot else _expand_defaults(info)
    m = _TREC_SUFFIX.match(name)
    with_arg = ("cutoffs", "points", "length")
    if m and m["base"] in MEASURES and MEASURES[m["base"]].params in with_arg:
        info = MEASURES[m["base"]]
        if info.params != "points":
            return [MeasureSpec(name, info.name, cutoff=_cutoff(m["arg"], name))]
        return [MeasureSpec(name, info.name, value=_number(m["arg"], name))]
    return None


def _ir(name: str) -> MeasureSpec | None:
    m = _IR.match(name)
    if not m or m["name"] not in IR_NAMES:
        return None
    plain, with_cut = IR_NAMES[m["name"]]
    family = with_cut if m["cut"] is not None else plain
    if family is None:
        need = "needs a cutoff, e.g. " + m["name"] + "@10" if plain is None else "takes no cutoff"
        raise _unknown(name, f"{m['name']} {need}")
    info = MEASURES[family]
    spec: dict[str, object] = {}
    if m["cut"] is not None:
        if info.params == "points":
            spec["value"] = _number(m["cut"], name)
        else:
            spec["cutoff"] = _cutoff(m["cut"], name)
    for part in (m["params"] or "").split(","):
        if not part.strip():
            continue
        key, eq, val = (s.strip() for s in part.partition("="))
        if not eq:
            raise _unknown(name, f"expected key=value, got {part!r}")
        field, value = _ir_param(info, key, val, name)
        spec[field] = value
    return MeasureSpec(name, family, **spec)  # type: ignore[arg-type]


# (parameter, family) pairs whose value goes to MeasureSpec.value
_VALUE_PARAMS = {("max", "ERR"), ("p", "rbp"), ("p", "rbp_resid"), ("beta", "set_F")}


def _ir_param(info: MeasureInfo, key: str, val: str, name: str) -> tuple[str, object]:
    if key == "rel" and (info.binary or info.name == "rbp"):
        return "rel", int(_number(val, name))
    if key == "gain" and info.name in ("ndcg", "ndcg_cut") and val in ("exp", "linear"):
        return "exp_gain", val == "exp"
    if (key, info.name) in _VALUE_PARAMS:
        return "value", _number(val, name)
    raise _unknown(name, f"parameter {key}={val} is not accepted by {name.split('(')[0]}")


def parse_measure(name: str) -> list[MeasureSpec]:
    """One user-written name -> the measures it stands for (a list: ``P.5,10`` is two)."""
    name = name.strip()
    if name in GROUPS:
        return [s for member in GROUPS[name] for s in _expand_defaults(MEASURES[member])]
    if name in MEASURES and not MEASURES[name].trec:
        info = MEASURES[name]
        default_cut = int(info.defaults[0]) if info.params == "cutoffs" else None
        return [MeasureSpec(name, info.name, cutoff=default_cut)]
    if "@" not in name and "(" not in name:
        specs = _trec(name)
        if specs is not None:
            return specs
    spec = _ir(name)
    if spec is not None:
        return [spec]
    raise _unknown(name)


def measure_depth(name: str) -> float:
    """How many ranked results a measure name reads: the most of the measures it stands for
    (``P.5,10`` reads 10, ``AP`` the whole ranking: ``math.inf``); see ``registry.depth``."""
    return max((depth(spec) for spec in parse_measure(name)), default=0)


def parse_measures(names: Iterable[str | MeasureSpec]) -> list[MeasureSpec]:
    """Many names -> specs, first occurrence of each label kept.

    As in trec_eval, a measure named explicitly (``relstring.20``) replaces the default
    parameters a group (``all_trec``) would have given it.
    """
    out: dict[str, MeasureSpec] = {}
    from_group: set[str] = set()
    explicit: set[str] = set()
    for name in names:
        specs = [name] if isinstance(name, MeasureSpec) else parse_measure(name)
        for spec in specs:
            if out.setdefault(spec.label, spec) is spec:
                (from_group if name in GROUPS else explicit).add(spec.label)
    explicit_families = {out[label].family for label in explicit}
    return [
        spec
        for label, spec in out.items()
        if not (label in from_group and spec.family in explicit_families)
    ]
