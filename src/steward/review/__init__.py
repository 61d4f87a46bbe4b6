"""Human review of guardrail decisions, and the end user's voice (feedback, appeals).

* :mod:`~steward.review.items` — states, reasons, outcomes, the reviewer acting, SLA due times;
* :mod:`~steward.review.queue` — routing decisions to the queue and every reviewer action
  (claim, release, confirm, overturn, escalate, comment; four-eyes);
* :mod:`~steward.review.voice` — end-user feedback and appeals, users kept as a keyed hash;
* :mod:`~steward.review.export` — resolved items as ``steward eval`` JSONL rows;
* :mod:`~steward.review.writer` — new items, appeals and feedback stored off the request path,
  in batches, by one background thread per server process.

The SQL lives in :mod:`steward.store.review`; this package holds the rules.
"""

from steward.review.items import Outcome, Reason, Reviewer, SlaSettings, State
from steward.review.queue import ReviewQueue

__all__ = ["Outcome", "Reason", "ReviewQueue", "Reviewer", "SlaSettings", "State"]
