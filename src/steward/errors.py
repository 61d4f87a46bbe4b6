"""Every exception Steward raises on purpose, in one place.

Callers catch :class:`StewardError` to handle anything Steward reports; the CLI and the
HTTP server turn each class into an exit code or a status code without a stack trace.
Every error names what is at fault (a policy field, an input, an id) so the caller can
fix the call without reading our source.

    StewardError
    ├── PolicyError              a policy is malformed or breaks a limit (names the field)
    │   └── PolicyNotFoundError  no policy file or pack of that name
    ├── InputError               the text or request to check is unusable (names the input)
    │   └── InputTooLargeError   over a size limit (says the limit)
    ├── DetectorUnavailableError a detector's model or optional package is missing
    ├── StorageError             the database refused or failed an operation
    │   ├── NotFoundError        no object of that kind with that id
    │   ├── ConflictError        the change clashes with what is stored
    │   └── ShreddedError        kept text whose data key was deleted (crypto-shredded)
    ├── AuthError                the caller is not authenticated
    │   ├── InvalidSignatureError   an AWS SigV4 signature does not match the request
    │   └── PermissionDeniedError   authenticated, but the role does not allow it
    ├── ThrottledError           the caller is over its request rate limit
    └── UpstreamError            the configured upstream model failed
        ├── UpstreamRejectedError   ... or refused the request as the caller's mistake (4xx, 429)
        └── UpstreamTimeoutError    ... or did not answer in time
"""

from __future__ import annotations

__all__ = [
    "AuthError",
    "ConflictError",
    "DetectorUnavailableError",
    "InputError",
    "InputTooLargeError",
    "InvalidSignatureError",
    "NotFoundError",
    "PermissionDeniedError",
    "PolicyError",
    "PolicyNotFoundError",
    "ShreddedError",
    "StewardError",
    "StorageError",
    "ThrottledError",
    "UpstreamError",
    "UpstreamRejectedError",
    "UpstreamTimeoutError",
]


class StewardError(Exception):
    """Base class of every error Steward raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PolicyError(StewardError):
    """A policy is malformed or breaks a limit.

    ``problems`` holds one ``(field path, message)`` pair per problem found, so a user
    sees every mistake in one go rather than one per attempt.
    """

    def __init__(self, message: str, *, problems: list[tuple[str, str]] | None = None) -> None:
        self.problems = problems or []
        if self.problems:
            detail = "; ".join(f"{path}: {msg}" for path, msg in self.problems)
            message = f"{message}: {detail}"
        super().__init__(message)


class PolicyNotFoundError(PolicyError):
    """No policy file or ready-made pack has the given name."""


class InputError(StewardError):
    """The content to check, or a request around it, cannot be used.

    ``field`` names the input at fault (for example ``content[0].text.text``).
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.field = field
        super().__init__(f"{field}: {message}" if field else message)


class InputTooLargeError(InputError):
    """An input is over a documented size limit."""

    def __init__(self, *, field: str, size: int, limit: int, unit: str = "characters") -> None:
        self.size = size
        self.limit = limit
        super().__init__(f"is {size} {unit}, over the limit of {limit} {unit}", field=field)


class DetectorUnavailableError(StewardError):
    """A detector cannot run because its model file or optional package is missing."""


class StorageError(StewardError):
    """The database refused or failed an operation."""


class NotFoundError(StorageError):
    """No object of this kind has this id."""

    def __init__(self, kind: str, ident: str) -> None:
        self.kind = kind
        self.ident = ident
        super().__init__(f"{kind} {ident!r} not found")


class ConflictError(StorageError):
    """The change clashes with what is stored (a duplicate id, an immutable version)."""


class ShreddedError(StorageError):
    """Kept text cannot be read because its data key was deleted on purpose (retention, a
    data-protection request): the text is gone, not damaged, so callers show it as removed."""


class AuthError(StewardError):
    """The caller did not present valid credentials."""


class InvalidSignatureError(AuthError):
    """An AWS SigV4 signature does not match the request (wrong secret, altered request, stale date)."""


class PermissionDeniedError(AuthError):
    """The caller is authenticated but the key's role does not allow the operation."""


class ThrottledError(StewardError):
    """The caller sent more requests than its rate limit allows; retrying later will work."""


class UpstreamError(StewardError):
    """The configured upstream model server failed or answered with an error."""


class UpstreamRejectedError(UpstreamError):
    """The upstream refused the request for a reason the caller can fix (a bad model name or
    parameter, a body too large, a rate limit); ``status`` is the upstream's HTTP status."""

    def __init__(self, message: str, *, status: int) -> None:
        self.status = status
        super().__init__(message)


class UpstreamTimeoutError(UpstreamError):
    """The upstream model server did not answer within the configured time."""


#: Each error's HTTP status: the one decision every surface shares. The Bedrock API
#: (:mod:`steward.server.bedrock`) and the OpenAI proxy (:mod:`steward.proxy.openai_format`) answer
#: with it, each adding only its own error type; the CLI (:mod:`steward.cli.exit_codes`) reads
#: the caller's mistakes (400) as a policy or input error. Every class above is listed by name, so
#: a new error cannot fall through to a status nobody chose (tests/test_error_tables.py keeps it so).
#: ``None``: relayed, the upstream's own status (:class:`UpstreamRejectedError`).
HTTP_STATUS: dict[type[StewardError], int | None] = {
    StewardError: 500,
    PolicyError: 400,
    PolicyNotFoundError: 400,
    InputError: 400,
    InputTooLargeError: 400,
    DetectorUnavailableError: 503,
    StorageError: 503,
    NotFoundError: 404,
    ConflictError: 409,
    ShreddedError: 503,
    AuthError: 401,
    InvalidSignatureError: 403,
    PermissionDeniedError: 403,
    ThrottledError: 429,
    UpstreamError: 502,
    UpstreamRejectedError: None,
    UpstreamTimeoutError: 504,
}


def reported_as(exc: StewardError) -> type[StewardError]:
    """The class ``exc`` is reported as on every surface: its own, or its nearest listed base."""
    return next(cls for cls in type(exc).__mro__ if cls in HTTP_STATUS)


def http_status(exc: StewardError) -> int:
    """The HTTP status ``exc`` is answered with (a relayed refusal keeps the upstream's status)."""
    status = HTTP_STATUS[reported_as(exc)]
    if status is None:
        return exc.status if isinstance(exc, UpstreamRejectedError) else 502
    return status
