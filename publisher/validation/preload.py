"""What the validation forkserver imports: the worker, exercised once.

Every submission runs in a child forked from the forkserver, so whatever the
forkserver has already done, every child starts with. Importing the worker is not
enough: rdflib loads its plugins, pyshacl-turbo compiles its first program and the
parsers fill their caches on first use, which cost each child about half a second of
its ~1 s. One tiny validation here, through the same code path as a submission (with
its own two-line shapes, since the forkserver outlives builds), pays that once.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import pyoxigraph as ox

from . import worker
from .submission import Document

log = logging.getLogger(__name__)

BASE = "http://preload.invalid/"
SHAPES = b"""@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix schema: <http://schema.org/> .
<shapes#Thing> a sh:NodeShape ; sh:targetClass schema:Thing ;
  sh:property [ sh:path schema:name ; sh:minCount 1 ;
                sh:datatype <http://www.w3.org/2001/XMLSchema#string> ] .
"""
ONTOLOGY = b"""@prefix owl: <http://www.w3.org/2002/07/owl#> .
<ontology> a owl:Ontology .
"""
DOCUMENT = b"""@prefix schema: <http://schema.org/> .
<id/thing/a> a schema:Thing ; schema:name "a" .
<id/thing/b> a schema:Thing .
"""


def exercise() -> None:
    """Validate a tiny document with one result; a failure only means a slower child."""
    try:
        with tempfile.TemporaryDirectory(prefix="publisher-preload-") as folder:
            shapes, ontology = Path(folder, "shapes"), Path(folder, "ontology")
            shapes.mkdir()
            ontology.mkdir()
            (shapes / "shapes.ttl").write_bytes(SHAPES)
            (ontology / "ontology.ttl").write_bytes(ONTOLOGY)
            worker.validate_documents([Document("preload.ttl", ox.RdfFormat.TURTLE, DOCUMENT)],
                                      BASE, shapes, ontology, None)
    except Exception:  # noqa: BLE001 - an optimisation, never a reason not to serve
        log.warning("warming the validation workers failed", exc_info=True)


exercise()
