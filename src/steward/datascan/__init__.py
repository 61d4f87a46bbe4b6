"""Scanning and scrubbing data sets: PII, harmful content, prompt attacks, duplicates, languages, groups.

``scan`` reports what a data file holds; ``scrub`` writes a copy with personal data masked and
blocked rows dropped or flagged, plus a manifest that can be stored as evidence. Both read in
chunks and run one per-batch function (:func:`~steward.datascan.batch.process_batch`) on an
engine: this process, a pool of processes, or Ray Data for a cluster.
"""

from __future__ import annotations

from steward.datascan.scan import ScanOptions, scan

__all__ = ["ScanOptions", "scan"]
