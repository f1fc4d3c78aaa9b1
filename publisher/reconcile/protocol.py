"""Which 0.2 operation a request to the service endpoint asks for.

The endpoint (``reconcile``) answers three things on one URL, by parameter, whether the
parameters come in the query string (GET) or in an ``application/x-www-form-urlencoded``
body (POST): ``queries`` (a reconciliation batch), ``extend`` (data extension), or
neither (the service manifest). Asking for two at once is an error, not a guess.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .requests import ReconcileError
from .service import ReconciliationService

OPERATIONS = ("queries", "extend")


def answer(service: ReconciliationService, params: Mapping[str, str]) -> dict[str, Any]:
    """The JSON answer to the endpoint's parameters (ReconcileError if they are wrong)."""
    given = [name for name in OPERATIONS if params.get(name) is not None]
    if len(given) > 1:
        raise ReconcileError("give `queries` or `extend`, not both")
    if not given:
        unknown = sorted(params)
        if unknown:
            raise ReconcileError(f"unknown parameter(s) {', '.join(unknown)}: the endpoint "
                                 "takes `queries` (reconciliation) or `extend` (data "
                                 "extension); without them it answers the manifest (JSONP "
                                 "`callback` is not offered: the service answers CORS)")
        return service.manifest()
    if given == ["queries"]:
        return service.reconcile(params["queries"])
    return service.extend(params["extend"])
