"""Entry point :func:`publisher.app.create_app` looks for: ``register(app)``.

The service itself lives in :mod:`publisher.validation`; this module only keeps the
app's list of feature modules flat.
"""

from __future__ import annotations

from .validation.routes import register

__all__ = ["register"]
