"""W3C Reconciliation Service API 0.2: match a spreadsheet column against our entities.

:class:`ReconciliationService` answers the manifest, reconciliation batches, suggest,
preview, data extension and property proposals from one build's search index;
:mod:`.requests` reads requests strictly, :mod:`.scoring` scores candidates.
"""

from __future__ import annotations

from .requests import ReconcileError
from .service import Limits, Preview, ReconciliationService
from .values import StoreValues

__all__ = ["Limits", "Preview", "ReconcileError", "ReconciliationService", "StoreValues"]
