"""The one CORS policy: every resource here is a public read (or a side-effect-free POST
of a query or a submission), so any origin may read every answer, without credentials.

Because the answer never depends on the ``Origin`` header, every response carries the
same two headers and needs no ``Vary: Origin``; shared caches keep one copy. A preflight
(``OPTIONS`` with ``Access-Control-Request-Method``) is answered here, before routing.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

ALLOW_ORIGIN = (b"access-control-allow-origin", b"*")
EXPOSE = (b"access-control-expose-headers",
          b"ETag, Link, Content-Location, Location, Vary, Retry-After, Allow")
ALLOW_METHODS = b"GET, HEAD, POST, OPTIONS"
#: Request headers a preflight may ask for when it names none.
DEFAULT_ALLOW_HEADERS = b"Accept, Content-Type, If-None-Match, If-Modified-Since"
MAX_AGE = b"86400"


def simple_headers() -> list[tuple[bytes, bytes]]:
    """What every response carries."""
    return [ALLOW_ORIGIN, EXPOSE]


def preflight_headers(requested_headers: bytes | None) -> list[tuple[bytes, bytes]]:
    """A preflight's answer: any method we have, any header asked for (no credentials)."""
    return [*simple_headers(), (b"access-control-allow-methods", ALLOW_METHODS),
            (b"access-control-allow-headers", requested_headers or DEFAULT_ALLOW_HEADERS),
            (b"access-control-max-age", MAX_AGE), (b"content-length", b"0")]


class CorsMiddleware:
    """Adds :func:`simple_headers` to every response; answers preflights itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS":
            method = requested = None
            origin = False
            for name, value in scope["headers"]:
                if name == b"access-control-request-method":
                    method = value
                elif name == b"access-control-request-headers":
                    requested = value
                elif name == b"origin":
                    origin = True
            if origin and method is not None:
                await send({"type": "http.response.start", "status": 204,
                            "headers": preflight_headers(requested)})
                await send({"type": "http.response.body", "body": b""})
                return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers") or []
                if not any(name == b"access-control-allow-origin" for name, _ in headers):
                    message["headers"] = [*headers, ALLOW_ORIGIN, EXPOSE]
            await send(message)

        await self.app(scope, receive, send_with_cors)
