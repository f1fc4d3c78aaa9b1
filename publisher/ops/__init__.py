"""Operations: health and readiness, Prometheus metrics, structured access logs.

Each module is a piece of ASGI to mount in the one application (middleware or endpoint)
and knows nothing of the rest; see docs/operations.md.
"""
