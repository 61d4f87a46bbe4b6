"""Old names of :func:`steward.app.context.local_app` and :class:`~steward.app.context.App`.

Kept only for ``cli/review.py``, ``cli/monitor.py`` and their tests, which another change is
editing now; they move to :mod:`steward.app.context` in the next step and this module goes
(it is the one upward import of ``store/``, named in tests/test_layering.py's allow-list).
"""

from __future__ import annotations

from steward.app.context import App as LocalStores
from steward.app.context import local_app as open_stores

__all__ = ["LocalStores", "open_stores"]
