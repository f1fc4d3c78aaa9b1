"""Dereferenceable Linked Data: every IRI the dataset mints, for people and machines.

- :mod:`.urls` says which path is which resource (303 for things, documents by kind);
- :mod:`.describe` reads what a document says about an IRI from the store;
- :mod:`.rendering` turns a document into bytes in a format (RDF by the format registry,
  HTML by :mod:`.html` and :mod:`.views`), once per build;
- :mod:`.dataset` describes the dataset as a whole (VoID, dumps, the home page summary);
- :mod:`.documents` is the HTTP face: raw ASGI routes that answer from prepared bytes;
- :mod:`.prewarm` prepares a new build's documents in the background.
"""
