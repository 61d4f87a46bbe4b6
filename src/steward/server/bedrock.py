"""The ApplyGuardrail request, and how its content blocks become one text to check.

Bedrock's request: ``source`` (INPUT|OUTPUT), ``content`` (a list of blocks, each
``{"text": {"text": ..., "qualifiers": [...]}}``), and ``outputScope`` (INTERVENTIONS|FULL).
Qualifiers decide each block's role:

* if any block is marked ``guard_content``, only those blocks are checked; otherwise every
  block that is not a grounding source or a query is checked;
* ``grounding_source`` blocks form the reference text, and ``query`` blocks the user's
  question, for the contextual-grounding check.

The checked blocks are joined with a blank line and assessed as one text (so a phrase split
across blocks is still seen, and offsets in ``steward.findings`` refer to the joined text);
Bedrock also returns a single decision and one masked output for the request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from steward.errors import InputError, InputTooLargeError
from steward.policy import limits

__all__ = ["ApplyGuardrailRequest", "ApplyGuardrailResponse", "GuardInput", "bedrock_body", "guard_input"]

#: Most content blocks in one request.
MAX_BLOCKS = 1000
#: Text between checked blocks when they are joined.
BLOCK_SEPARATOR = "\n\n"

Qualifier = Literal["grounding_source", "query", "guard_content"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class TextBlock(_Strict):
    """One piece of text and its role."""

    text: str = Field(max_length=limits.TEXT_MAX_CHARS)
    qualifiers: list[Qualifier] = Field(default_factory=list, max_length=3)


class ImageSource(_Strict):
    """Image bytes (base64 in JSON); accepted by the schema so the error can name it."""

    bytes: str


class ImageBlock(_Strict):
    """An image block (not supported by Steward)."""

    format: Literal["png", "jpeg"]
    source: ImageSource


class ContentBlock(_Strict):
    """A content block: ``text`` (or ``image``, which Steward refuses)."""

    text: TextBlock | None = None
    image: ImageBlock | None = None


class ApplyGuardrailRequest(_Strict):
    """The body of ``POST /guardrail/{id}/version/{version}/apply``, as in Bedrock."""

    source: Literal["INPUT", "OUTPUT"]
    content: list[ContentBlock] = Field(min_length=1, max_length=MAX_BLOCKS)
    outputScope: Literal["INTERVENTIONS", "FULL"] = "INTERVENTIONS"  # noqa: N815 (Bedrock's name)


class OutputText(BaseModel):
    """One output: the masked text, or the blocked message."""

    text: str


class ApplyGuardrailResponse(BaseModel):
    """The response body, as Bedrock's (documentation only; responses are built from the assessment)."""

    usage: dict[str, int]
    action: Literal["NONE", "GUARDRAIL_INTERVENED"]
    actionReason: str = ""  # noqa: N815 (Bedrock's name)
    outputs: list[OutputText]
    assessments: list[dict[str, Any]]
    guardrailCoverage: dict[str, Any]  # noqa: N815
    steward: dict[str, Any] = Field(
        description="Steward's extras: findings with offsets, scores, trace, requestId"
    )


@dataclass(frozen=True, slots=True)
class GuardInput:
    """What the guard checks for one request."""

    text: str
    grounding_source: str | None
    query: str | None
    total_chars: int


def guard_input(blocks: list[ContentBlock]) -> GuardInput:
    """Split content blocks into the text to guard, the grounding source and the query."""
    texts: list[tuple[str, set[str]]] = []
    for i, block in enumerate(blocks):
        if block.image is not None:
            raise InputError(
                "image content is not supported by Steward; send text blocks", field=f"content[{i}].image"
            )
        if block.text is None:
            raise InputError("each content block needs a 'text' member", field=f"content[{i}]")
        texts.append((block.text.text, set(block.text.qualifiers)))
    explicit = any("guard_content" in q for _, q in texts)
    guarded, grounding, query = [], [], []
    for text, quals in texts:
        if "grounding_source" in quals:
            grounding.append(text)
        if "query" in quals:
            query.append(text)
        if ("guard_content" in quals) if explicit else not (quals & {"grounding_source", "query"}):
            guarded.append(text)
    joined = BLOCK_SEPARATOR.join(guarded)
    if len(joined) > limits.TEXT_MAX_CHARS:
        raise InputTooLargeError(field="content", size=len(joined), limit=limits.TEXT_MAX_CHARS)
    return GuardInput(
        text=joined,
        grounding_source=BLOCK_SEPARATOR.join(grounding) if grounding else None,
        query=BLOCK_SEPARATOR.join(query) if query else None,
        total_chars=sum(len(t) for t, _ in texts),
    )


def bedrock_body(
    assessment_body: dict[str, Any], *, guarded_chars: int, total_chars: int, guardrail_id: str, version: str
) -> dict[str, Any]:
    """Fill in coverage over all blocks and the applied guardrail, as Bedrock reports them."""
    coverage = {"textCharacters": {"guarded": guarded_chars, "total": total_chars}}
    assessment_body["guardrailCoverage"] = coverage
    for assessment in assessment_body.get("assessments", []):
        metrics = assessment.get("invocationMetrics")
        if isinstance(metrics, dict):
            metrics["guardrailCoverage"] = coverage
        assessment["appliedGuardrailDetails"] = {
            "guardrailId": guardrail_id,
            "guardrailVersion": version,
            "guardrailOrigin": ["REQUEST"],
            "guardrailOwnership": "SELF",
        }
    return assessment_body
