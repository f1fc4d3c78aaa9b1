"""The validation service: check anyone's RDF against our shapes, in isolation.

Submissions are hostile until proved otherwise, so the work is split by trust:

- :mod:`.submission` turns bytes into triples without fetching anything (no remote
  JSON-LD contexts, no XML DTDs or entities) and rejects inputs known to crash or stall
  the parsers before they reach them;
- :mod:`.worker` runs in a fresh child process per submission: it parses, asks the web
  process for context from the published store, runs pyshacl and sends back a report;
- :mod:`.service` starts that child, answers its context requests from the store, and
  kills it at the deadline, so a pathological input costs one process, never the server;
- :mod:`.report` groups results by focus node and renders them as RDF, text or HTML;
- :mod:`.routes` is the HTTP face (``GET``/``POST validate``).
"""
