"""The read-only SPARQL 1.1 endpoint: protocol, query analysis, killable workers.

- :mod:`.protocol` turns an HTTP request into a query request (or a 4xx);
- :mod:`.analysis` looks at a query before it runs (form, updates, SERVICE, nesting);
- :mod:`.workers` runs queries in worker processes that a timeout really stops;
- :mod:`.endpoint` is the HTTP face (routed by :mod:`publisher.routes`);
- :mod:`.service_description`, :mod:`.examples` and :mod:`.cli` complete it.

See docs/sparql.md for the protocol, the default-graph choice and the limits.
"""
