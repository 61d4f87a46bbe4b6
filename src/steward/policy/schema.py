"""The policy: what a guardrail checks, in which direction, and what it does about it.

The shape follows Amazon Bedrock Guardrails' configuration (content filters, denied
topics, word filters, sensitive information, contextual grounding, blocked messages)
in snake_case, so a Bedrock user recognises every field; :mod:`steward.policy.io`
reads it from YAML or JSON. Unknown fields are errors, so a typo never silently
turns a filter off.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from steward.policy import limits
from steward.policy.dataflow import DATA_FLOW_RULES_MAX, DataFlowRule, FlowAction
from steward.policy.regex_safety import check_pattern

__all__ = [
    "LEARNED_LANGUAGES",
    "Anonymization",
    "AuditSettings",
    "ContentCategory",
    "ContentFilter",
    "ContextualGrounding",
    "DataFlowRule",
    "DeniedTopic",
    "FilterAction",
    "FlowAction",
    "FourEyes",
    "GroundingFilter",
    "Languages",
    "PiiAction",
    "PiiEntity",
    "PiiType",
    "Policy",
    "RegexFilter",
    "ReviewAnswer",
    "ReviewBand",
    "ReviewSettings",
    "SensitiveInformation",
    "Strength",
    "UnsupportedLanguageAction",
    "WordFilters",
]


class Strength(StrEnum):
    """How eagerly a content filter blocks: LOW only blocks high-confidence findings."""

    NONE = "NONE"
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"


class FilterAction(StrEnum):
    """What to do with a finding: BLOCK the content, NONE (detect and report only), or REVIEW
    (send it to a person; the caller is answered at once as ``review_answer`` says)."""

    BLOCK = "BLOCK"
    REVIEW = "REVIEW"
    NONE = "NONE"


class PiiAction(StrEnum):
    """What to do with sensitive information: block, mask it, send it to review, or report only."""

    BLOCK = "BLOCK"
    ANONYMIZE = "ANONYMIZE"
    REVIEW = "REVIEW"
    NONE = "NONE"


class ReviewAnswer(StrEnum):
    """What the caller gets at once for a text sent to review: the text as it came (ORIGINAL)
    or the blocked message (BLOCKED); a person decides afterwards either way."""

    ORIGINAL = "ORIGINAL"
    BLOCKED = "BLOCKED"


class ContentCategory(StrEnum):
    """Harm categories a content filter can target (Bedrock's, plus SELF_HARM and CHILD_SAFETY)."""

    HATE = "HATE"
    INSULTS = "INSULTS"
    SEXUAL = "SEXUAL"
    VIOLENCE = "VIOLENCE"
    MISCONDUCT = "MISCONDUCT"
    SELF_HARM = "SELF_HARM"
    CHILD_SAFETY = "CHILD_SAFETY"
    PROMPT_ATTACK = "PROMPT_ATTACK"


class PiiType(StrEnum):
    """The 31 PII entity types Bedrock Guardrails names."""

    ADDRESS = "ADDRESS"
    AGE = "AGE"
    AWS_ACCESS_KEY = "AWS_ACCESS_KEY"
    AWS_SECRET_KEY = "AWS_SECRET_KEY"  # noqa: S105 (an entity type, not a secret)
    CA_HEALTH_NUMBER = "CA_HEALTH_NUMBER"
    CA_SOCIAL_INSURANCE_NUMBER = "CA_SOCIAL_INSURANCE_NUMBER"
    CREDIT_DEBIT_CARD_CVV = "CREDIT_DEBIT_CARD_CVV"
    CREDIT_DEBIT_CARD_EXPIRY = "CREDIT_DEBIT_CARD_EXPIRY"
    CREDIT_DEBIT_CARD_NUMBER = "CREDIT_DEBIT_CARD_NUMBER"
    DRIVER_ID = "DRIVER_ID"
    EMAIL = "EMAIL"
    INTERNATIONAL_BANK_ACCOUNT_NUMBER = "INTERNATIONAL_BANK_ACCOUNT_NUMBER"
    IP_ADDRESS = "IP_ADDRESS"
    LICENSE_PLATE = "LICENSE_PLATE"
    MAC_ADDRESS = "MAC_ADDRESS"
    NAME = "NAME"
    PASSWORD = "PASSWORD"  # noqa: S105 (an entity type, not a secret)
    PHONE = "PHONE"
    PIN = "PIN"
    SWIFT_CODE = "SWIFT_CODE"
    UK_NATIONAL_HEALTH_SERVICE_NUMBER = "UK_NATIONAL_HEALTH_SERVICE_NUMBER"
    UK_NATIONAL_INSURANCE_NUMBER = "UK_NATIONAL_INSURANCE_NUMBER"
    UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER = "UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER"
    URL = "URL"
    USERNAME = "USERNAME"
    US_BANK_ACCOUNT_NUMBER = "US_BANK_ACCOUNT_NUMBER"
    US_BANK_ROUTING_NUMBER = "US_BANK_ROUTING_NUMBER"
    US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER = "US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER"
    US_PASSPORT_NUMBER = "US_PASSPORT_NUMBER"
    US_SOCIAL_SECURITY_NUMBER = "US_SOCIAL_SECURITY_NUMBER"
    VEHICLE_IDENTIFICATION_NUMBER = "VEHICLE_IDENTIFICATION_NUMBER"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)


def _expand_action(data: Any) -> Any:
    """Let ``action: X`` stand for ``input_action: X`` and ``output_action: X``, as Bedrock does."""
    if isinstance(data, dict) and "action" in data:
        data = dict(data)
        action = data.pop("action")
        data.setdefault("input_action", action)
        data.setdefault("output_action", action)
    return data


class ReviewBand(_Model):
    """Scores where a content filter is unsure enough to ask a person: ``low <= score < high``.

    A finding in the band goes to review whatever the filter's strength says; the filter's own
    action still applies to findings that reach its strength.
    """

    low: float = Field(ge=0.0, le=1.0)
    high: float = Field(ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _ordered(self) -> ReviewBand:
        if not self.low < self.high:
            raise ValueError(f"low ({self.low}) must be under high ({self.high})")
        return self

    def holds(self, score: float) -> bool:
        """Whether ``score`` lies in the band."""
        return self.low <= score < self.high


class ContentFilter(_Model):
    """One harm category, with a strength and an action per direction, and an optional review band."""

    category: ContentCategory
    input_strength: Strength = Strength.MEDIUM
    output_strength: Strength = Strength.MEDIUM
    input_action: FilterAction = FilterAction.BLOCK
    output_action: FilterAction = FilterAction.BLOCK
    input_enabled: bool = True
    output_enabled: bool = True
    review_band: ReviewBand | None = None

    _expand = model_validator(mode="before")(_expand_action)


class DeniedTopic(_Model):
    """A subject the application must not engage with, described in natural language.

    ``exceptions`` are texts that resemble the topic but are allowed (a reviewer's overturned
    false positive, accepted by an admin): a piece of text nearer to one of them than to any of
    the topic's examples does not match it (:mod:`steward.detectors.topics`).
    """

    name: str = Field(min_length=1, max_length=limits.TOPIC_NAME_MAX, pattern=r"^[0-9A-Za-z_\- !?.]+$")
    definition: str = Field(min_length=1, max_length=limits.TOPIC_DEFINITION_MAX)
    examples: list[str] = Field(default_factory=list, max_length=limits.TOPIC_EXAMPLES_MAX)
    exceptions: list[str] = Field(
        default_factory=list,
        max_length=limits.TOPIC_EXCEPTIONS_MAX,
        description="texts that resemble the topic but are allowed",
    )
    input_action: FilterAction = FilterAction.BLOCK
    output_action: FilterAction = FilterAction.BLOCK
    input_enabled: bool = True
    output_enabled: bool = True

    _expand = model_validator(mode="before")(_expand_action)

    @field_validator("examples")
    @classmethod
    def _examples_fit(cls, examples: list[str]) -> list[str]:
        for i, example in enumerate(examples):
            if not example.strip():
                raise ValueError(f"example {i} is empty")
            if len(example) > limits.TOPIC_EXAMPLE_MAX:
                raise ValueError(f"example {i} is {len(example)} characters, over {limits.TOPIC_EXAMPLE_MAX}")
        return examples

    @field_validator("exceptions")
    @classmethod
    def _exceptions_fit(cls, exceptions: list[str]) -> list[str]:
        for i, exception in enumerate(exceptions):
            if not exception.strip():
                raise ValueError(f"exception {i} is empty")
            if len(exception) > limits.TOPIC_EXCEPTION_MAX:
                raise ValueError(
                    f"exception {i} is {len(exception)} characters, over {limits.TOPIC_EXCEPTION_MAX}"
                )
        return exceptions


class WordFilters(_Model):
    """Custom words and phrases, plus managed lists, matched robustly to obfuscation."""

    words: list[str] = Field(default_factory=list, max_length=limits.CUSTOM_WORDS_MAX)
    managed_lists: list[Literal["PROFANITY"]] = Field(default_factory=list)
    input_action: FilterAction = FilterAction.BLOCK
    output_action: FilterAction = FilterAction.BLOCK
    input_enabled: bool = True
    output_enabled: bool = True

    _expand = model_validator(mode="before")(_expand_action)

    @field_validator("words")
    @classmethod
    def _words_fit(cls, words: list[str]) -> list[str]:
        for i, word in enumerate(words):
            if not word.strip():
                raise ValueError(f"word {i} is empty")
            if len(word) > limits.CUSTOM_WORD_MAX:
                raise ValueError(f"word {i} is {len(word)} characters, over {limits.CUSTOM_WORD_MAX}")
        return words


class PiiEntity(_Model):
    """One PII entity type and what to do when it is found."""

    type: PiiType
    input_action: PiiAction = PiiAction.ANONYMIZE
    output_action: PiiAction = PiiAction.ANONYMIZE
    input_enabled: bool = True
    output_enabled: bool = True

    _expand = model_validator(mode="before")(_expand_action)


class RegexFilter(_Model):
    """A custom pattern, run on a linear-time engine so no pattern can hang the guard."""

    name: str = Field(min_length=1, max_length=limits.REGEX_NAME_MAX)
    pattern: str = Field(min_length=1, max_length=limits.REGEX_PATTERN_MAX)
    description: str = Field(default="", max_length=limits.REGEX_DESCRIPTION_MAX)
    input_action: PiiAction = PiiAction.ANONYMIZE
    output_action: PiiAction = PiiAction.ANONYMIZE
    input_enabled: bool = True
    output_enabled: bool = True

    _expand = model_validator(mode="before")(_expand_action)

    @field_validator("pattern")
    @classmethod
    def _pattern_compiles(cls, pattern: str) -> str:
        check_pattern(pattern)
        return pattern


class Anonymization(_Model):
    """How ANONYMIZE masks: ``tag`` writes ``{EMAIL}``; ``pseudonym`` writes ``{EMAIL_1}``.

    Pseudonyms are consistent across a conversation and can be restored by whoever holds
    the vault key (see :mod:`steward.anonymize`).
    """

    style: Literal["tag", "pseudonym"] = "tag"


class SensitiveInformation(_Model):
    """PII entity types and custom regexes."""

    pii_entities: list[PiiEntity] = Field(default_factory=list)
    regexes: list[RegexFilter] = Field(default_factory=list, max_length=limits.REGEXES_MAX)
    anonymization: Anonymization = Field(default_factory=Anonymization)

    @field_validator("pii_entities")
    @classmethod
    def _unique_types(cls, entities: list[PiiEntity]) -> list[PiiEntity]:
        seen: set[PiiType] = set()
        for entity in entities:
            if entity.type in seen:
                raise ValueError(f"entity type {entity.type.value} is listed twice")
            seen.add(entity.type)
        return entities

    @field_validator("regexes")
    @classmethod
    def _unique_names(cls, regexes: list[RegexFilter]) -> list[RegexFilter]:
        names = [r.name for r in regexes]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"regex names must be unique; repeated: {', '.join(dupes)}")
        return regexes


class GroundingFilter(_Model):
    """A score threshold under which a response counts as ungrounded or irrelevant."""

    threshold: float = Field(ge=0.0, le=0.99)
    action: FilterAction = FilterAction.BLOCK
    enabled: bool = True


class ContextualGrounding(_Model):
    """Checks a response against a grounding source and the user's query."""

    grounding: GroundingFilter | None = None
    relevance: GroundingFilter | None = None


class UnsupportedLanguageAction(StrEnum):
    """What to do with text in a language the detectors are not trusted on (REVIEW: a person checks it)."""

    BLOCK = "BLOCK"
    REVIEW = "REVIEW"
    ALLOW = "ALLOW"


class Languages(_Model):
    """The languages the policy's detectors are trusted on (ISO 639 codes), and what to do with others.

    The learned detectors (content filters, denied topics, grounding) read English only and
    never see text in another language: the guard blanks it for them. This section says what
    happens to that text: BLOCK, REVIEW (sent to human review, answered meanwhile as the
    policy's ``review_answer`` says: by default unblocked) or ALLOW (passed, unjudged by
    the learned detectors). ``supported`` may only list languages every learned detector the
    policy uses reads (see :meth:`Policy._supported_languages_are_read`).
    """

    supported: list[str] = Field(default_factory=lambda: ["en"], min_length=1, max_length=200)
    unsupported_action: UnsupportedLanguageAction = UnsupportedLanguageAction.REVIEW

    @field_validator("supported")
    @classmethod
    def _iso_codes(cls, codes: list[str]) -> list[str]:
        for i, code in enumerate(codes):
            if not (code.isascii() and code.isalpha() and code.islower() and 2 <= len(code) <= 3):
                raise ValueError(f"language {i} ({code!r}) is not an ISO 639 code such as 'en' or 'fr'")
        return codes


#: The languages (ISO 639 codes) each learned detector reads, by the policy section it serves.
#: The detectors take their ``languages`` from here, so what a policy may call supported and
#: what the guard lets each detector read are one fact.
LEARNED_LANGUAGES: dict[str, frozenset[str]] = {
    "content_filters": frozenset({"en"}),  # the content model is trained on English
    "denied_topics": frozenset({"en"}),  # all-MiniLM-L6-v2 is English-trained
    "contextual_grounding": frozenset({"en"}),  # English words and embeddings
}


def _learned_sections(data: Mapping[str, Any]) -> list[tuple[str, frozenset[str]]]:
    """The policy's sections served by a language-limited learned detector, and what it reads.

    ``data`` holds the fields validated so far; a section that failed validation is absent
    (its own error says why).
    """
    used: list[str] = []
    filters: list[ContentFilter] = data.get("content_filters") or []
    if any(
        (f.input_enabled and f.input_strength is not Strength.NONE)
        or (f.output_enabled and f.output_strength is not Strength.NONE)
        for f in filters
    ):
        used.append("content_filters")
    if data.get("denied_topics"):
        used.append("denied_topics")
    grounding: ContextualGrounding | None = data.get("contextual_grounding")
    if grounding is not None and any(
        g is not None and g.enabled for g in (grounding.grounding, grounding.relevance)
    ):
        used.append("contextual_grounding")
    return [(section, LEARNED_LANGUAGES[section]) for section in used]


class AuditSettings(_Model):
    """What the audit trail may keep; matched text is redacted unless asked for here.

    Kept matched text is sealed (envelope encryption). ``retention_days`` keeps this
    guardrail's audit records shorter or longer than ``STEWARD_RETENTION_AUDIT_DAYS``.
    """

    keep_matched_text: bool = False
    retention_days: int | None = Field(default=None, ge=1, le=36500)


class FourEyes(StrEnum):
    """Which review items need a second reviewer (a different key) agreeing with the first."""

    NEVER = "NEVER"
    CONSEQUENTIAL = "CONSEQUENTIAL"
    ALWAYS = "ALWAYS"


#: Most hand-off trigger phrases a policy may name, and the longest one.
HANDOFF_PHRASES_MAX = 100
HANDOFF_PHRASE_MAX = 200


class ReviewSettings(_Model):
    """How decisions reach the human review queue beyond REVIEW findings.

    ``audit_sample_rate`` sends that share of texts the guard let through (action NONE) to
    review, so reviewers also see what passed. ``consequential_sample_rate`` is the share of
    all decisions sent to review when the guardrail version serves a system the inventory
    registers as consequential. ``four_eyes`` says which items need a second reviewer: NEVER,
    CONSEQUENTIAL (items of consequential systems) or ALWAYS (``true``/``false`` mean ALWAYS
    and NEVER). ``retention_days`` is how long the reviewed text is kept (sealed).
    """

    audit_sample_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    consequential_sample_rate: float = Field(default=1.0, ge=0.0, le=1.0)
    four_eyes: FourEyes = FourEyes.NEVER
    retention_days: int = Field(default=90, ge=1, le=3650)
    #: Phrases by which an end user asks for a person on the proxy (``"talk to a human"``): the
    #: model is not called and a hand-off item opens. Matched as whole words, case-insensitively,
    #: on normalised text (:mod:`steward.review.handoff`).
    handoff_phrases: list[str] = Field(default_factory=list, max_length=HANDOFF_PHRASES_MAX)

    @field_validator("handoff_phrases")
    @classmethod
    def _phrases_have_words(cls, phrases: list[str]) -> list[str]:
        for i, phrase in enumerate(phrases):
            if not phrase.strip():
                raise ValueError(f"phrase {i} is empty")
            if len(phrase) > HANDOFF_PHRASE_MAX:
                raise ValueError(f"phrase {i} is {len(phrase)} characters, over {HANDOFF_PHRASE_MAX}")
        return phrases

    @field_validator("four_eyes", mode="before")
    @classmethod
    def _boolean_four_eyes(cls, value: Any) -> Any:
        if isinstance(value, bool):
            return FourEyes.ALWAYS if value else FourEyes.NEVER
        return value

    def needs_four_eyes(self, *, consequential: bool) -> bool:
        """Whether an item (of a consequential system or not) needs a second reviewer."""
        return self.four_eyes is FourEyes.ALWAYS or (
            self.four_eyes is FourEyes.CONSEQUENTIAL and consequential
        )


class Policy(_Model):
    """A whole guardrail policy."""

    name: str = Field(min_length=1, max_length=limits.POLICY_NAME_MAX, pattern=r"^[0-9A-Za-z_\-]+$")
    description: str = Field(default="", max_length=limits.POLICY_DESCRIPTION_MAX)
    content_filters: list[ContentFilter] = Field(default_factory=list)
    denied_topics: list[DeniedTopic] = Field(default_factory=list, max_length=limits.DENIED_TOPICS_MAX)
    word_filters: WordFilters | None = None
    sensitive_information: SensitiveInformation | None = None
    contextual_grounding: ContextualGrounding | None = None
    languages: Languages | None = None
    blocked_input_message: str = Field(
        default="Sorry, I can't help with that request.", min_length=1, max_length=limits.BLOCKED_MESSAGE_MAX
    )
    blocked_output_message: str = Field(
        default="Sorry, the response was withheld by a guardrail.",
        min_length=1,
        max_length=limits.BLOCKED_MESSAGE_MAX,
    )
    audit: AuditSettings = Field(default_factory=AuditSettings)
    #: What a caller is answered with while a REVIEW finding waits for a person.
    review_answer: ReviewAnswer = ReviewAnswer.ORIGINAL
    review: ReviewSettings = Field(default_factory=ReviewSettings)
    #: Where the proxy may send a request, by what the input guard found (:mod:`steward.policy.dataflow`).
    data_flow: list[DataFlowRule] = Field(default_factory=list, max_length=DATA_FLOW_RULES_MAX)

    @field_validator("languages")
    @classmethod
    def _supported_languages_are_read(
        cls, languages: Languages | None, info: ValidationInfo
    ) -> Languages | None:
        """Refuse a supported language that a learned detector the policy uses cannot read.

        Such a detector never judges that language (the guard blanks it), and the language
        check would not report it either, so "supported" would mean "passes unjudged".
        """
        if languages is None:
            return None
        problems = [
            f"{section} (reads {', '.join(sorted(reads))}) cannot read {', '.join(unread)}"
            for section, reads in _learned_sections(info.data)
            if (unread := [code for code in languages.supported if code not in reads])
        ]
        if problems:
            raise ValueError(
                "supported lists languages the learned detectors do not read: "
                + "; ".join(problems)
                + ". Text in them would pass those detectors unjudged and unreported; list only "
                "languages they read (text in any other gets unsupported_action)"
            )
        return languages

    @field_validator("content_filters")
    @classmethod
    def _unique_categories(cls, filters: list[ContentFilter]) -> list[ContentFilter]:
        seen: set[ContentCategory] = set()
        for f in filters:
            if f.category in seen:
                raise ValueError(f"category {f.category.value} is listed twice")
            seen.add(f.category)
        return filters

    @field_validator("denied_topics")
    @classmethod
    def _unique_topics(cls, topics: list[DeniedTopic]) -> list[DeniedTopic]:
        names = [t.name.lower() for t in topics]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"topic names must be unique; repeated: {', '.join(dupes)}")
        return topics

    @field_validator("data_flow")
    @classmethod
    def _flow_types_are_detected(cls, rules: list[DataFlowRule], info: ValidationInfo) -> list[DataFlowRule]:
        """Refuse a rule naming a type the policy never looks for: it would never apply, silently."""
        names = [r.name for r in rules]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"rule names must be unique; repeated: {', '.join(dupes)}")
        sens: SensitiveInformation | None = info.data.get("sensitive_information")
        detected = set()
        if sens is not None:
            detected |= {e.type.value for e in sens.pii_entities if e.input_enabled}
            detected |= {r.name for r in sens.regexes if r.input_enabled}
        problems = [
            f"rule {rule.name!r} names {kind!r}, which sensitive_information does not detect on input"
            for rule in rules
            for kind in rule.types
            if kind not in detected
        ]
        if problems:
            raise ValueError(
                "; ".join(problems)
                + ". Add each type to sensitive_information.pii_entities (a PII type) or .regexes "
                "(a custom pattern), input_enabled; action NONE detects it without masking"
            )
        return rules

    def to_dict(self) -> dict[str, Any]:
        """A plain, JSON-ready form that round-trips through :func:`steward.policy.parse_policy`."""
        return self.model_dump(mode="json", exclude_defaults=False)
