"""Bedrock's wire format, in one place: the ApplyGuardrail request, its response, its error table.

Everything a Bedrock client sees is shaped here and nowhere else: the request model and how its
content blocks become one text to check (:func:`guard_input`), the response body built from an
:class:`~steward.assessment.Assessment` (:func:`bedrock_response`; the assessment itself knows no
wire format), and which HTTP status and ``x-amzn-ErrorType`` each Steward error gets
(:data:`ERRORS`, :func:`status_for`). :mod:`steward.server.errors` only installs the handlers
that use this table.

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

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from steward.assessment import Assessment, Finding, FindingAction, PolicyKind
from steward.errors import (
    HTTP_STATUS,
    InputError,
    InputTooLargeError,
    InvalidSignatureError,
    StewardError,
    http_status,
    reported_as,
)
from steward.policy import limits

__all__ = [
    "ERRORS",
    "HTTP_ERROR_TYPES",
    "ApplyGuardrailRequest",
    "ApplyGuardrailResponse",
    "GuardInput",
    "bedrock_response",
    "guard_input",
    "status_for",
]

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


def _policy_assessment(findings: Sequence[Finding]) -> dict[str, Any]:
    """Findings grouped into Bedrock's policy sections (``contentPolicy``, ``topicPolicy``...)."""
    out: dict[str, Any] = {}
    for f in findings:
        if f.policy is PolicyKind.CONTENT:
            section = out.setdefault("contentPolicy", {"filters": []})
            section["filters"].append(
                {
                    "type": f.type,
                    "confidence": f.confidence.value,
                    "filterStrength": f.details.get("strength", "NONE"),
                    "action": f.action.value,
                    "detected": True,
                }
            )
        elif f.policy is PolicyKind.TOPIC:
            section = out.setdefault("topicPolicy", {"topics": []})
            section["topics"].append(
                {"name": f.type, "type": "DENY", "action": f.action.value, "detected": True}
            )
        elif f.policy is PolicyKind.WORD:
            section = out.setdefault("wordPolicy", {"customWords": [], "managedWordLists": []})
            if f.type == "PROFANITY":
                section["managedWordLists"].append(
                    {"match": f.match, "type": "PROFANITY", "action": f.action.value, "detected": True}
                )
            else:
                section["customWords"].append({"match": f.match, "action": f.action.value, "detected": True})
        elif f.policy is PolicyKind.SENSITIVE_INFORMATION:
            section = out.setdefault("sensitiveInformationPolicy", {"piiEntities": [], "regexes": []})
            if f.details.get("regex") is not None:
                section["regexes"].append(
                    {
                        "name": f.type,
                        "match": f.match,
                        "regex": f.details["regex"],
                        "action": f.action.value,
                        "detected": True,
                    }
                )
            else:
                section["piiEntities"].append(
                    {"match": f.match, "type": f.type, "action": f.action.value, "detected": True}
                )
        elif f.policy is PolicyKind.CONTEXTUAL_GROUNDING:
            section = out.setdefault("contextualGroundingPolicy", {"filters": []})
            section["filters"].append(
                {
                    "type": f.type,
                    "threshold": f.details.get("threshold", 0.0),
                    "score": round(f.score, 4),
                    "action": f.action.value,
                    "detected": f.action is FindingAction.BLOCKED,
                }
            )
    return out


def bedrock_response(
    assessment: Assessment,
    *,
    output_scope: str = "INTERVENTIONS",
    request_id: str | None = None,
    guarded_chars: int | None = None,
    total_chars: int | None = None,
    guardrail_id: str | None = None,
    version: str | None = None,
) -> dict[str, Any]:
    """The ApplyGuardrail response body for ``assessment``, with Steward's extras under ``steward``.

    With ``output_scope="FULL"`` findings whose action is NONE are listed too, as Bedrock does;
    by default only findings that made the guard act. Coverage counts ``guarded_chars`` of
    ``total_chars`` (both default to the checked text's length: every block was checked);
    ``guardrail_id`` and ``version`` fill in ``appliedGuardrailDetails`` as Bedrock reports it.
    """
    shown = [f for f in assessment.findings if output_scope == "FULL" or f.action is not FindingAction.NONE]
    guarded = assessment.text_length if guarded_chars is None else guarded_chars
    coverage = {
        "textCharacters": {"guarded": guarded, "total": guarded if total_chars is None else total_chars}
    }
    usage = assessment.usage()
    section = _policy_assessment(shown)
    section["invocationMetrics"] = {
        "guardrailProcessingLatency": round(assessment.latency_ms),
        "usage": usage,
        "guardrailCoverage": coverage,
    }
    if guardrail_id is not None:
        section["appliedGuardrailDetails"] = {
            "guardrailId": guardrail_id,
            "guardrailVersion": version,
            "guardrailOrigin": ["REQUEST"],
            "guardrailOwnership": "SELF",
        }
    return {
        "usage": usage,
        "action": assessment.action.value,
        "actionReason": assessment.action_reason,
        "outputs": [] if assessment.output_text is None else [{"text": assessment.output_text}],
        "assessments": [section],
        "guardrailCoverage": coverage,
        "steward": assessment.steward_extras(request_id=request_id),
    }


# -- errors --------------------------------------------------------------------------------------

#: ``x-amzn-ErrorType`` for statuses the web framework answers itself (no route, a bad method...).
HTTP_ERROR_TYPES = {
    400: "ValidationException",
    401: "UnrecognizedClientException",
    403: "AccessDeniedException",
    404: "ResourceNotFoundException",
    405: "UnknownOperationException",
    408: "RequestTimeoutException",
    409: "ConflictException",
    413: "ValidationException",
    415: "ValidationException",
    429: "ThrottlingException",
    422: "ValidationException",
}

#: The ``x-amzn-ErrorType`` of each status a Steward error gets (:data:`steward.errors.HTTP_STATUS`):
#: the framework's, and the server side's. ``None``: a relayed refusal whose status has no type here.
_ERROR_TYPES: dict[int | None, str] = {
    **dict(HTTP_ERROR_TYPES.items()),  # (a copy, so that its keys may widen to int | None)
    None: "ValidationException",
    500: "InternalServerException",
    502: "DependencyFailedException",
    503: "ServiceUnavailableException",
    504: "DependencyFailedException",
}

#: The errors whose ``x-amzn-ErrorType`` is not their status's.
_OWN_ERROR_TYPES: dict[type[StewardError], str] = {InvalidSignatureError: "InvalidSignatureException"}

#: Each Steward error's HTTP status (the shared :data:`steward.errors.HTTP_STATUS`) and
#: ``x-amzn-ErrorType`` (boto3 raises the exception class of that name). Every class of
#: :mod:`steward.errors` is listed (a test keeps it so); an error takes the entry of its nearest
#: listed class. ``None`` as status: the error's own ``status`` (an upstream's refusal, relayed).
#: The OpenAI proxy's table (:mod:`steward.proxy.openai_format`) gives every class the same
#: status; docs/server.md shows both.
ERRORS: dict[type[StewardError], tuple[int | None, str]] = {
    cls: (status, _OWN_ERROR_TYPES.get(cls, _ERROR_TYPES[status])) for cls, status in HTTP_STATUS.items()
}


def status_for(exc: StewardError) -> tuple[int, str]:
    """The HTTP status and Bedrock error type for a Steward error (its nearest class in :data:`ERRORS`)."""
    listed, kind = ERRORS[reported_as(exc)]
    status = http_status(exc)
    if listed is None:  # relayed: the status the upstream answered
        kind = HTTP_ERROR_TYPES.get(status, kind)
    return status, kind
