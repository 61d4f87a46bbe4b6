"""Console sign-in sessions, as the console pages use them.

The sessions themselves live in the database (:mod:`steward.store.console_sessions`), so
every server worker shares them; this module names them for the console's own modules.
"""

from __future__ import annotations

from steward.store.console_sessions import DEFAULT_TTL_S, ConsoleSession, SessionStore

__all__ = ["DEFAULT_TTL_S", "ConsoleSession", "SessionStore"]
