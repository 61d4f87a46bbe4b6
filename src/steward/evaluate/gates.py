"""CI gates over an evaluation report: ``recall=0.9`` must not fall under, ``fpr<=0.05`` over.

A gate names a metric by its path in the report (``recall``, ``latency_ms.p99``,
``by_category.HATE.recall``, ``by_group.religion:Muslim.fpr``; with several datasets also
``datasets.NAME.recall``) and a bound. ``--fail-under``
gates read ``METRIC=VALUE`` as "at least VALUE"; ``--fail-over`` gates read it as "at most
VALUE". Either option also takes an explicit ``METRIC>=VALUE`` or ``METRIC<=VALUE``. An
undefined metric (``None``) fails its gate: a gate that cannot be checked is not passed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from steward.errors import InputError

__all__ = ["Gate", "check_gates", "parse_gate", "resolve_metric"]

_SPEC = re.compile(r"^\s*(?P<metric>[^<>=\s]+)\s*(?P<op><=|>=|=)\s*(?P<value>[^\s]+)\s*$")


@dataclass(frozen=True, slots=True)
class Gate:
    """``metric`` must be ``>=`` or ``<=`` ``value``."""

    metric: str
    op: Literal[">=", "<="]
    value: float

    def __str__(self) -> str:
        return f"{self.metric}{self.op}{self.value:g}"


def parse_gate(spec: str, *, default_op: Literal[">=", "<="]) -> Gate:
    """Parse ``METRIC=VALUE`` (using ``default_op``) or ``METRIC>=VALUE`` / ``METRIC<=VALUE``."""
    match = _SPEC.match(spec)
    if match is None:
        raise InputError(
            "must look like METRIC=VALUE, METRIC>=VALUE or METRIC<=VALUE", field=f"gate {spec!r}"
        )
    try:
        value = float(match["value"])
    except ValueError:
        raise InputError(f"{match['value']!r} is not a number", field=f"gate {spec!r}") from None
    if not math.isfinite(value):
        raise InputError("the bound must be a finite number", field=f"gate {spec!r}")
    op = default_op if match["op"] == "=" else match["op"]
    return Gate(metric=match["metric"], op=op, value=value)  # type: ignore[arg-type]


def resolve_metric(report: Mapping[str, Any], path: str) -> float | None:
    """The number at ``path``; an :class:`InputError` listing the choices if there is none.

    Keys are matched greedily against the dotted path, longest first, so names that hold
    dots themselves (a group ``v1.2``, a dataset ``set.v2``) resolve without quoting.
    """
    node: Any = report
    rest = path
    while rest:
        if not isinstance(node, Mapping):
            raise InputError(f"goes past a number at {rest!r}", field=f"gate metric {path!r}")
        key = next(
            (k for k in sorted(node, key=len, reverse=True) if rest == k or rest.startswith(f"{k}.")), None
        )
        if key is None:
            choices = sorted(k for k, v in node.items() if not isinstance(v, Mapping))
            hint = f" (choose from {', '.join(choices)})" if choices else ""
            raise InputError(
                f"no metric {rest.split('.')[0]!r} in the report{hint}", field=f"gate metric {path!r}"
            )
        node = node[key]
        rest = rest[len(key) + 1 :]
    if node is not None and not isinstance(node, int | float):
        raise InputError("names a section, not a number", field=f"gate metric {path!r}")
    return None if node is None else float(node)


def check_gates(report: Mapping[str, Any], gates: Sequence[Gate]) -> list[str]:
    """One message per failed gate; an empty list when every gate passes."""
    failures = []
    for gate in gates:
        value = resolve_metric(report, gate.metric)
        if value is None:
            failures.append(f"{gate}: {gate.metric} is undefined for this data")
        elif (gate.op == ">=" and value < gate.value) or (gate.op == "<=" and value > gate.value):
            failures.append(f"{gate}: {gate.metric} is {value:.4f}")
    return failures
