"""Cross-cutting HTTP middleware for every route: CORS and response compression.

The read endpoints (linked data, ``/sparql``, validation reports) are public, so CORS
is open to any origin for reads, without credentials. Compression uses brotli-asgi's
maintained middleware (brotli, with gzip for clients that only accept gzip); responses
that already carry a ``Content-Encoding`` (the linked-data documents, pre-compressed
once per build) are passed through untouched.

Call :func:`install` before the feature routers register theirs, so that a feature's
own lean middleware (the linked-data one) ends up outermost and skips these layers.
"""

from __future__ import annotations

from brotli_asgi import BrotliMiddleware
from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

#: Below this size compression costs more than it saves.
MINIMUM_SIZE = 500


def install(app: FastAPI) -> None:
    """Add compression (inner) and CORS (outer) to ``app``."""
    app.add_middleware(BrotliMiddleware, quality=5, minimum_size=MINIMUM_SIZE,
                       gzip_fallback=True)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "HEAD", "POST", "OPTIONS"],
        allow_headers=["Accept", "Content-Type", "If-None-Match", "If-Modified-Since"],
        expose_headers=["ETag", "Link", "Content-Location", "Location", "Vary"],
        allow_credentials=False,
        max_age=86400,
    )
