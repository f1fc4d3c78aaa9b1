"""The prefixes used when showing or serializing IRIs, in one place.

Our own namespaces depend on the deployment's base IRI, so they are computed from it.
"""

from __future__ import annotations

STANDARD: dict[str, str] = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "org": "http://www.w3.org/ns/org#",
    "prov": "http://www.w3.org/ns/prov#",
    "time": "http://www.w3.org/2006/time#",
    "schema": "http://schema.org/",
    "sh": "http://www.w3.org/ns/shacl#",
    "void": "http://rdfs.org/ns/void#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "sd": "http://www.w3.org/ns/sparql-service-description#",
    "vann": "http://purl.org/vocab/vann/",
}


def prefixes(base: str) -> dict[str, str]:
    """Standard prefixes plus ours (``dip:`` ontology terms, ``shape:`` shapes, kinds)."""
    ours = {
        "dip": base + "ontology#",
        "shape": base + "shapes#",
        "graph": base + "id/graph/",
    }
    return {**ours, **STANDARD}


def compact(iri: str, base: str) -> str:
    """``dip:Meeting`` for a vocabulary IRI, ``id/person/x`` for one of ours, else the IRI."""
    for prefix, namespace in prefixes(base).items():
        if iri.startswith(namespace) and "/" not in iri[len(namespace):]:
            return f"{prefix}:{iri[len(namespace):]}"
    if iri.startswith(base):
        return iri[len(base):]
    return iri
