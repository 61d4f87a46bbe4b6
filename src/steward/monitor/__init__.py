"""Monitoring over the audit trail: reports in time windows, drift, alert rules, webhooks, Prometheus.

Everything here reads what the guard already records (the audit trail) or observes the
server process (Prometheus); nothing sends data anywhere except to the webhooks an
administrator configured (:mod:`steward.monitor.webhooks`).
"""

from __future__ import annotations

__all__: list[str] = []
