"""A SPARQL store reached over HTTP instead of an embedded pyoxigraph store.

- :mod:`.client` speaks the SPARQL 1.1 Protocol (queries and updates) and the Graph Store
  Protocol to any engine, streams and parses answers into pyoxigraph terms, and never
  passes on an answer it cannot prove complete;
- :mod:`.dialects` holds what differs between engines (Oxigraph server, Virtuoso, any
  other): how the default graph is kept, where updates and bulk loads go;
- :mod:`.load` loads a build blue/green: into a fresh set of staging graphs, counted,
  then switched in with one update request, so readers see the old dataset or the new
  one and never a half-loaded one;
- :mod:`.virtuoso` drives Virtuoso's own bulk loader through ``isql-vt``.

See docs/remote-stores.md.
"""
