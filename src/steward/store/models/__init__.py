"""Every table Steward stores; importing this package fills ``Base.metadata``.

Each module below holds the tables of one area; add a new area's module to the imports
so migrations and tests see the whole schema.
"""

from steward.store.models import console, core, govern, keys, monitor, retention, review

__all__ = ["console", "core", "govern", "keys", "monitor", "retention", "review"]
