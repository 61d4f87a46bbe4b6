"""Review use cases shared by ``steward review``/``steward feedback``, ``/v1/review`` and the console.

:class:`ReviewServices` is the queue, the end-user voice, the suggester and the inventory
indexes of one :class:`~steward.app.context.App`, wired once: the server keeps one per app
(:func:`steward.server.routers.review.app_services`), a command builds one for its run. The
reviewer a command names (``--as KEY_ID``) is checked here as the server checks a bearer key's
role, and accepting a suggestion drops the process's built guards of that guardrail on every
surface alike.
"""

from __future__ import annotations

from collections.abc import Callable

from steward.app.context import App
from steward.audit.retention import retention_job
from steward.errors import PermissionDeniedError
from steward.review.consequential import ConsequentialIndex, SystemIndex
from steward.review.items import Reviewer, SlaSettings
from steward.review.queue import ReviewQueue
from steward.review.suggest import Suggester
from steward.review.voice import Voice, user_key
from steward.review.writer import ReviewWriter
from steward.store.guardrails import GuardrailInfo
from steward.store.keys import Role
from steward.store.review import ReviewStore
from steward.store.suggestions import SuggestionRecord, SuggestionStore

__all__ = [
    "ReviewServices",
    "accept_suggestion",
    "admin_of",
    "open_services",
    "retention_purge",
    "reviewer_of",
]


class ReviewServices:
    """The review queue and the end-user voice of one app."""

    def __init__(self, app: App) -> None:
        store = ReviewStore(app.sessions, app.keys.sealer)
        self.queue = ReviewQueue(store, sla=SlaSettings.parse(app.settings.review_sla_hours))
        #: Stores new items, appeals and feedback off the request path, in batches.
        self.writer = ReviewWriter(store)
        # The user-id hash key is derived from the server key, as ``steward db forget`` derives it.
        self.voice = Voice(self.queue, user_key(app.server_key))
        register = app.governance
        self.consequential = ConsequentialIndex(
            lambda: (
                (g.id, g.version) for s in register.list_systems() if s.consequential for g in s.guardrails
            )
        )
        #: Policy suggestions from overturns (admins decide; accepting edits a DRAFT).
        self.suggester = Suggester(store, SuggestionStore(app.sessions, app.keys.sealer), app.guardrails)
        #: The system a guardrail serves, for the proxy's link to its notice.
        self.systems = SystemIndex(
            lambda: ((g.id, g.version, s.id) for s in register.list_systems() for g in s.guardrails)
        )


def open_services(app: App) -> ReviewServices:
    """A command's :class:`ReviewServices`, refused unless this process has the database's server
    key (sealed text is readable only with it)."""
    app.require_same_key()
    return ReviewServices(app)


def reviewer_of(app: App, key_id: str) -> Reviewer:
    """The reviewer an active ``reviewer`` or ``admin`` key is (what a command's ``--as`` names)."""
    key = app.keys.lookup(key_id)
    if key is None or key.revoked:
        raise PermissionDeniedError(f"--as {key_id!r} is not an active API key")
    if key.role not in (Role.REVIEWER, Role.ADMIN):
        raise PermissionDeniedError(
            f"--as {key_id!r} is a {key.role.value} key; reviewing needs reviewer or admin"
        )
    return Reviewer(key.id, admin=key.role is Role.ADMIN)


def admin_of(app: App, key_id: str) -> str:
    """The id of an active ``admin`` key (deciding on suggestions needs one)."""
    reviewer = reviewer_of(app, key_id)
    if not reviewer.admin:
        raise PermissionDeniedError(f"--as {key_id!r} is a reviewer key; deciding on suggestions needs admin")
    return reviewer.key_id


def accept_suggestion(
    app: App, services: ReviewServices, suggestion_id: str, actor: str
) -> tuple[SuggestionRecord, GuardrailInfo]:
    """Apply a suggestion to its guardrail's DRAFT, then drop this process's built guards of it."""
    record, info = services.suggester.accept(suggestion_id, actor)
    app.forget_guards(info.id)
    return record, info


def retention_purge(app: App, services: ReviewServices) -> Callable[[], int]:
    """What the server's purge runs: review text past its retention, then kept data past
    ``STEWARD_RETENTION_*`` (audit, reviews, feedback, data keys). A bad retention variable is
    refused here, when the server starts."""
    retention = retention_job(app.sessions, app.audit_key)
    purge = services.queue.purge_expired
    return lambda: purge() + retention()
