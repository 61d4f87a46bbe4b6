"""Governance: the inventory of AI systems, risk registers, control catalogues, evidence,
release gates, and the cards and datasheets published from them.

One evidence chain per system, stored next to the guard's data:

    use case -> risks (severity x likelihood) -> mitigations -> controls
             -> release requirements -> evidence -> release gate -> cards

Each module does one job: :mod:`~steward.govern.inventory` (systems),
:mod:`~steward.govern.risk` (scores and ratings), :mod:`~steward.govern.controls`
(catalogues and coverage), :mod:`~steward.govern.evidence`, :mod:`~steward.govern.gates`,
:mod:`~steward.govern.profile` and :mod:`~steward.govern.datasheet` (data sets),
:mod:`~steward.govern.cards`, :mod:`~steward.govern.register` (YAML import/export) and
:mod:`~steward.govern.repository` (the database).
"""

from steward.govern.datasheet import DatasetProfile, Datasheet
from steward.govern.evidence import Evidence
from steward.govern.gates import GateDecision, evaluate_gate
from steward.govern.inventory import AISystem, Lifecycle
from steward.govern.register import Register, dump_register, parse_register
from steward.govern.requirements import EvidenceKind, EvidenceRequirement
from steward.govern.risk import Rating, Risk, Treatment

__all__ = [
    "AISystem",
    "DatasetProfile",
    "Datasheet",
    "Evidence",
    "EvidenceKind",
    "EvidenceRequirement",
    "GateDecision",
    "Lifecycle",
    "Rating",
    "Register",
    "Risk",
    "Treatment",
    "dump_register",
    "evaluate_gate",
    "parse_register",
]
