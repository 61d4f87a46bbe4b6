"""Steward: a self-hosted, offline control plane for using AI responsibly.

The public API is listed in ``__all__`` (kept sorted; a test checks it).
"""

import importlib as _importlib
from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

if _TYPE_CHECKING:
    from steward.anonymize import PseudonymVault
    from steward.assessment import Action, Assessment, Confidence, Finding, FindingAction, PolicyKind, Source
    from steward.errors import (
        InputError,
        InputTooLargeError,
        PolicyError,
        PolicyNotFoundError,
        StewardError,
    )
    from steward.guard import Guard
    from steward.policy import Policy, dump_policy, list_packs, load_policy, parse_policy

#: Where each public name lives. Names are imported on first use (PEP 562), so importing a
#: light submodule (``steward.errors``, the ``steward`` command's start-up) does not load the
#: guard, its detectors and their libraries.
_HOMES = {
    "Action": "steward.assessment",
    "Assessment": "steward.assessment",
    "Confidence": "steward.assessment",
    "Finding": "steward.assessment",
    "FindingAction": "steward.assessment",
    "Guard": "steward.guard",
    "InputError": "steward.errors",
    "InputTooLargeError": "steward.errors",
    "Policy": "steward.policy",
    "PolicyError": "steward.errors",
    "PolicyKind": "steward.assessment",
    "PolicyNotFoundError": "steward.errors",
    "PseudonymVault": "steward.anonymize",
    "Source": "steward.assessment",
    "StewardError": "steward.errors",
    "dump_policy": "steward.policy",
    "list_packs": "steward.policy",
    "load_policy": "steward.policy",
    "parse_policy": "steward.policy",
}


def __getattr__(name: str) -> _Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'steward' has no attribute {name!r}")
    value = getattr(_importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})


__all__ = [
    "Action",
    "Assessment",
    "Confidence",
    "Finding",
    "FindingAction",
    "Guard",
    "InputError",
    "InputTooLargeError",
    "Policy",
    "PolicyError",
    "PolicyKind",
    "PolicyNotFoundError",
    "PseudonymVault",
    "Source",
    "StewardError",
    "dump_policy",
    "list_packs",
    "load_policy",
    "parse_policy",
]
