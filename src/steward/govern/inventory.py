"""The inventory: AI systems, their use cases, and the facts a risk assessment starts from.

One :class:`AISystem` records what a responsible-AI program asks about a system before
anything is scored: the business problem and workflow, intended uses and foreseeable
misuses, who is affected (including people who never use it), the organisation's role,
the models, data sets and guardrails it is built from, how humans oversee it, and whether
it makes or supports consequential decisions. Unknown fields are errors, so a typo never
silently drops a fact.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from steward.errors import InputError
from steward.govern.requirements import EvidenceRequirement

__all__ = [
    "AISystem",
    "ConsequentialDomain",
    "ControlDecision",
    "DatasetUse",
    "EuAiActRole",
    "EuAiActTier",
    "GuardrailRef",
    "HumanOversight",
    "Lifecycle",
    "ModelRef",
    "OrgRole",
    "Stakeholder",
    "StakeholderKind",
    "TransparencyDuty",
    "UseCase",
    "parse_status",
]

#: Ids are short slugs so they read well in URLs, file names and git diffs.
ID_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"
_ID_RE = re.compile(ID_PATTERN)

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Slug = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
#: Lists in a governance record stay readable; longer ones are almost always a mistake.
LIST_MAX = 100


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)


class Lifecycle(StrEnum):
    """Where a system is in its life; moving to deployment or operation passes the release gate."""

    DESIGN = "design"
    DEVELOPMENT = "development"
    DEPLOYMENT = "deployment"
    OPERATION = "operation"
    RETIRED = "retired"


#: Statuses a system may only enter through the release gate.
GATED_STATUSES = frozenset({Lifecycle.DEPLOYMENT, Lifecycle.OPERATION})


class HumanOversight(StrEnum):
    """How people oversee the system's outputs."""

    IN_THE_LOOP = "human-in-the-loop"  # a person approves each output before it takes effect
    ON_THE_LOOP = "human-on-the-loop"  # a person monitors and can intervene or override
    OVER_THE_LOOP = "human-over-the-loop"  # people set policy and review in aggregate only
    NONE = "none"


class OrgRole(StrEnum):
    """What the organisation does with the system (NIST AI RMF actors)."""

    DEVELOPER = "developer"
    DEPLOYER = "deployer"
    BOTH = "both"


class EuAiActRole(StrEnum):
    """The organisation's role under the EU AI Act."""

    PROVIDER = "provider"
    DEPLOYER = "deployer"
    PROVIDER_AND_DEPLOYER = "provider-and-deployer"
    IMPORTER = "importer"
    DISTRIBUTOR = "distributor"
    NOT_IN_SCOPE = "not-in-scope"


class EuAiActTier(StrEnum):
    """The EU AI Act risk tier the system falls in (see the ``eu-ai-act`` catalogue)."""

    PROHIBITED = "prohibited"
    HIGH_RISK = "high-risk"
    LIMITED = "limited"
    MINIMAL = "minimal"


class ConsequentialDomain(StrEnum):
    """Areas where a decision materially affects a person's rights or life chances."""

    FUNDAMENTAL_RIGHTS = "fundamental-rights"
    HEALTH = "health"
    SAFETY = "safety"
    HOUSING = "housing"
    CREDIT = "credit"
    EMPLOYMENT = "employment"
    EDUCATION = "education"
    LEGAL = "legal"
    MEDICAL_ADVICE = "medical-advice"
    FINANCIAL_ADVICE = "financial-advice"


class TransparencyDuty(StrEnum):
    """Art. 50-style transparency duties a system may carry."""

    DISCLOSE_AI_INTERACTION = "disclose-ai-interaction"
    MARK_SYNTHETIC_CONTENT = "mark-synthetic-content"
    DEEPFAKE_DISCLOSURE = "deepfake-disclosure"
    EMOTION_RECOGNITION_NOTICE = "emotion-recognition-notice"


class StakeholderKind(StrEnum):
    """How a stakeholder relates to the system."""

    USER = "user"
    OPERATOR = "operator"
    AFFECTED_NON_USER = "affected-non-user"
    OWNER = "owner"
    REGULATOR = "regulator"
    OTHER = "other"


class Stakeholder(_Strict):
    """A person or group the system affects; ``affected-non-user`` covers people who never use it."""

    name: Name
    kind: StakeholderKind
    description: Text | None = None


class UseCase(_Strict):
    """One business use of the system: the problem, the workflow, and what goes in and out."""

    name: Name
    business_problem: Text
    workflow: Text
    key_inputs: list[Name] = Field(min_length=1, max_length=LIST_MAX)
    key_outputs: list[Name] = Field(min_length=1, max_length=LIST_MAX)


class ModelRef(_Strict):
    """A model the system uses, pinned to a version."""

    name: Name
    version: Name
    provider: Name | None = None
    kind: Name | None = None
    dataset: Slug | None = Field(default=None, description="id of the data set it was trained on")


class DatasetUse(_Strict):
    """A data set the system uses (a :class:`~steward.govern.datasheet.Datasheet` id) and for what."""

    id: Slug
    version: Name
    purpose: Name = "training"


class GuardrailRef(_Strict):
    """A guardrail in front of the system: the guard's guardrail id and an immutable version or DRAFT."""

    id: Name
    version: Annotated[str, StringConstraints(pattern=r"^(DRAFT|[1-9][0-9]{0,8})$")]


class ControlDecision(_Strict):
    """A system's own word on one catalogue control: out of scope (with why), or a note."""

    control: Name
    applicable: bool = True
    justification: Text | None = None
    note: Text | None = None


class AISystem(_Strict):
    """One AI system in the inventory."""

    id: Slug
    name: Name
    version: Name
    owner: Name
    description: Text
    use_cases: list[UseCase] = Field(min_length=1, max_length=LIST_MAX)
    intended_uses: list[Text] = Field(min_length=1, max_length=LIST_MAX)
    foreseeable_misuses: list[Text] = Field(min_length=1, max_length=LIST_MAX)
    limitations: list[Text] = Field(default_factory=list, max_length=LIST_MAX)
    stakeholders: list[Stakeholder] = Field(min_length=1, max_length=LIST_MAX)
    org_role: OrgRole
    eu_ai_act_role: EuAiActRole
    eu_ai_act_tier: EuAiActTier
    generative: bool = False
    models: list[ModelRef] = Field(default_factory=list, max_length=LIST_MAX)
    datasets: list[DatasetUse] = Field(default_factory=list, max_length=LIST_MAX)
    guardrails: list[GuardrailRef] = Field(default_factory=list, max_length=LIST_MAX)
    human_oversight: HumanOversight
    oversight_description: Text | None = None
    consequential_domains: list[ConsequentialDomain] = Field(default_factory=list, max_length=LIST_MAX)
    transparency_duties: list[TransparencyDuty] = Field(default_factory=list, max_length=LIST_MAX)
    languages: list[Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]] = Field(
        min_length=1, max_length=LIST_MAX
    )
    regions: list[Name] = Field(min_length=1, max_length=LIST_MAX)
    status: Lifecycle = Lifecycle.DESIGN
    design_choices: list[Text] = Field(default_factory=list, max_length=LIST_MAX)
    explainability: Text | None = None
    deployment_practices: list[Text] = Field(default_factory=list, max_length=LIST_MAX)
    frameworks: list[Name] = Field(
        default_factory=lambda: ["nist-ai-rmf", "nist-genai", "iso-42001", "eu-ai-act"], max_length=10
    )
    controls: list[ControlDecision] = Field(default_factory=list, max_length=1000)
    release_requirements: list[EvidenceRequirement] = Field(default_factory=list, max_length=LIST_MAX)

    @field_validator("consequential_domains", "transparency_duties", "frameworks")
    @classmethod
    def _no_duplicates(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("lists each entry once")
        return value

    @property
    def consequential(self) -> bool:
        """Whether the system makes or supports consequential decisions."""
        return bool(self.consequential_domains) or self.eu_ai_act_tier is EuAiActTier.HIGH_RISK


def parse_status(value: str | Lifecycle) -> Lifecycle:
    """A lifecycle status from its name; an unknown name lists the valid ones."""
    try:
        return Lifecycle(value)
    except ValueError:
        names = ", ".join(s.value for s in Lifecycle)
        raise InputError(f"{value!r} is not a lifecycle status ({names})", field="status") from None
