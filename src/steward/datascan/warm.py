"""What the scan's fork server loads once, so that every worker forked from it starts with it.

Imported only by that server (:data:`steward.datascan.engines._PRELOAD`): the per-batch module
and everything it imports, the scan's and the scrub's chunk work (which the workers' tasks name), the PII recognizers' modules with their compiled patterns, and the
phone-number metadata of the regions :class:`~steward.detectors.pii.contact.PhoneRecognizer`
compiles when it is built. A worker forked from the server builds its guard in about 0.01
CPU-seconds instead of 0.1 (measured: a second ``Guard`` of the ``patterns`` policy in one
process). No guard is built here (its policy is the run's, which the workers receive), no
model is loaded and no thread is started; settings are read later, by the workers, from the
environment the driver hands them.
"""

from __future__ import annotations

from steward.datascan import batch as batch
from steward.datascan import scan as scan
from steward.datascan import scrub as scrub
from steward.detectors.pii.contact import PhoneRecognizer
from steward.detectors.pii.registry import recognizer_classes

__all__: list[str] = []

recognizer_classes()  # imports every recognizer module: their patterns are compiled at import
PhoneRecognizer()  # compiles the usual regions' phone-number patterns, kept in phonenumbers' cache
