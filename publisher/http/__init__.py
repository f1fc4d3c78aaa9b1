"""The HTTP layer shared by every route: one headers parser, one response helper, one
error mapping, one CORS policy, one compression layer, the routing table and the server.

Routes stay thin: they read a request with :mod:`.requests`, call one function of the
core, and answer with :class:`.responses.Answer` or raise :class:`.errors.HTTPProblem`.
"""
