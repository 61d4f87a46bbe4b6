"""The application core: every use case, one wiring, shared by the CLI, the HTTP API and the console.

Why a core: the same operations (create a guardrail from a pack, revoke a key, verify the
audit trail, run the release gate) are offered on three surfaces. Written once here, each
surface only translates its own input (click options, JSON bodies, forms) and output; none
of them touches the database or builds the stores itself.

* :mod:`steward.app.context` — :class:`~steward.app.context.App`: one engine, every
  repository, the server key, the audit writer and the guard cache, opened once per process.
* :mod:`steward.app.bootstrap` — the first start: migrate, seed guardrail ``default``, the
  bootstrap admin key.
* :mod:`steward.app.guards` — built guards cached per guardrail version.
* :mod:`steward.app.guardrails`, :mod:`~steward.app.keys`, :mod:`~steward.app.audit`,
  :mod:`~steward.app.governance`, :mod:`~steward.app.system`, :mod:`~steward.app.monitor`,
  :mod:`~steward.app.review` — the use cases, by subject.

Nothing is imported here, so ``import steward.app.x`` pulls only what ``x`` needs (the
CLI's start-up stays fast).
"""
