"""Steward: a self-hosted, offline control plane for using AI responsibly.

The public API is listed in ``__all__`` (kept sorted; a test checks it).
"""

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
