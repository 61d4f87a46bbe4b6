"""Policies: schema, YAML/JSON I/O, limits and ready-made packs."""

from steward.policy.io import dump_policy, list_packs, load_pack, load_policy, parse_policy, parse_policy_text
from steward.policy.schema import (
    ContentCategory,
    FilterAction,
    PiiAction,
    PiiType,
    Policy,
    Strength,
)

__all__ = [
    "ContentCategory",
    "FilterAction",
    "PiiAction",
    "PiiType",
    "Policy",
    "Strength",
    "dump_policy",
    "list_packs",
    "load_pack",
    "load_policy",
    "parse_policy",
    "parse_policy_text",
]
