"""The one registry of formats: media type <-> file extension <-> serializer.

Entity documents, SPARQL results, validation reports, VoID, the service description and
dumps all pick their output format here and are written by :func:`serialize` (graphs and
datasets, :mod:`.rdf`) or :mod:`.results` (SELECT/ASK, streamed with a row cap); HTML is
rendered by :mod:`publisher.pages`. Content negotiation is one function over this
registry (:func:`negotiate`), so a format added once is offered everywhere consistently.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import pyoxigraph as ox
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header


@dataclass(frozen=True)
class Format:
    """One output (or input) format.

    ``rdf`` is the pyoxigraph serializer for RDF formats; ``results`` the one for SPARQL
    result formats; HTML has neither and is rendered from templates.
    """

    name: str
    media_type: str
    extension: str
    label: str
    rdf: ox.RdfFormat | None = None
    results: ox.QueryResultsFormat | None = None
    quads: bool = False
    aliases: tuple[str, ...] = field(default=())

    @property
    def content_type(self) -> str:
        textual = self.media_type.startswith("text/") or self.media_type.endswith(
            ("+json", "+xml", "/ld+json", "/n-triples", "/n-quads", "/trig")
        )
        return f"{self.media_type}; charset=utf-8" if textual else self.media_type

    @property
    def is_rdf(self) -> bool:
        return self.rdf is not None


HTML = Format("html", "text/html", "html", "HTML")
TURTLE = Format("turtle", "text/turtle", "ttl", "Turtle", rdf=ox.RdfFormat.TURTLE)
JSON_LD = Format(
    "jsonld", "application/ld+json", "jsonld", "JSON-LD", rdf=ox.RdfFormat.JSON_LD,
    aliases=("application/json",),
)
N_TRIPLES = Format("ntriples", "application/n-triples", "nt", "N-Triples",
                   rdf=ox.RdfFormat.N_TRIPLES)
RDF_XML = Format("rdfxml", "application/rdf+xml", "rdf", "RDF/XML", rdf=ox.RdfFormat.RDF_XML)
N_QUADS = Format("nquads", "application/n-quads", "nq", "N-Quads", rdf=ox.RdfFormat.N_QUADS,
                 quads=True)
TRIG = Format("trig", "application/trig", "trig", "TriG", rdf=ox.RdfFormat.TRIG, quads=True)

#: Not RDF: the plain-text and JSON forms of an error, and gzipped files (dumps).
TEXT = Format("text", "text/plain", "txt", "Text")
PROBLEM_JSON = Format("problem", "application/problem+json", "json", "Problem details (JSON)",
                      aliases=("application/json",))
GZIP = Format("gzip", "application/gzip", "gz", "gzip")
#: Plain JSON: search results and the reconciliation service's answers.
JSON = Format("plain-json", "application/json", "json", "JSON")

SPARQL_JSON = Format("json", "application/sparql-results+json", "srj", "SPARQL JSON",
                     results=ox.QueryResultsFormat.JSON, aliases=("application/json",))
SPARQL_XML = Format("xml", "application/sparql-results+xml", "srx", "SPARQL XML",
                    results=ox.QueryResultsFormat.XML)
CSV = Format("csv", "text/csv", "csv", "CSV", results=ox.QueryResultsFormat.CSV)
TSV = Format("tsv", "text/tab-separated-values", "tsv", "TSV",
             results=ox.QueryResultsFormat.TSV)

#: RDF graph formats offered for a single-graph document (entity, CONSTRUCT, report).
GRAPH_FORMATS: tuple[Format, ...] = (TURTLE, JSON_LD, N_TRIPLES, RDF_XML)
#: Dataset formats that keep the named graph of each triple.
DATASET_FORMATS: tuple[Format, ...] = (N_QUADS, TRIG)
#: Everything an entity document is offered as, HTML first (browsers, ``*/*``).
DOCUMENT_FORMATS: tuple[Format, ...] = (HTML, *GRAPH_FORMATS, *DATASET_FORMATS)
#: SELECT/ASK result formats.
RESULT_FORMATS: tuple[Format, ...] = (SPARQL_JSON, SPARQL_XML, CSV, TSV)
ALL_FORMATS: tuple[Format, ...] = (*DOCUMENT_FORMATS, *RESULT_FORMATS)

#: Input formats accepted from submitters, keyed by media type (``Content-Type``).
INPUT_RDF_FORMATS: dict[str, ox.RdfFormat] = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/x-turtle": ox.RdfFormat.TURTLE,
    "application/trig": ox.RdfFormat.TRIG,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/n-quads": ox.RdfFormat.N_QUADS,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}


def by_extension(extension: str, offered: Iterable[Format] = ALL_FORMATS) -> Format | None:
    """The format a fixed-format URL (``doc/x/y.ttl``) or a ``format=`` value names."""
    ext = extension.lower().lstrip(".")
    for fmt in offered:
        if ext in (fmt.extension, fmt.name) or ext == fmt.media_type:
            return fmt
    return None


def negotiate(accept: str | None, offered: Sequence[Format]) -> Format | None:
    """Pick the best of ``offered`` for an ``Accept`` header (RFC 9110 section 12.5.1).

    Quality values and specificity are honoured by werkzeug's parser; an absent or empty
    header means ``*/*`` and yields the first offered format (the server's preference).
    Returns None when nothing acceptable is offered, which the caller turns into 406.
    Memoised: clients send the same few headers, and parsing one costs more than the
    rest of a prepared answer.
    """
    if not accept or not accept.strip():
        return offered[0] if offered else None
    return _negotiate(accept, tuple(offered))


@lru_cache(maxsize=4096)
def _negotiate(accept: str, offered: tuple[Format, ...]) -> Format | None:
    try:
        parsed = parse_accept_header(accept, MIMEAccept)
    except ValueError:
        return None
    candidates: dict[str, Format] = {}
    for fmt in offered:
        candidates.setdefault(fmt.media_type, fmt)
        for alias in fmt.aliases:
            candidates.setdefault(alias, fmt)
    best = parsed.best_match(list(candidates))
    return None if best is None else candidates[best]


def serialize(statements: Iterable[ox.Quad | ox.Triple], fmt: Format, *,
              prefixes: dict[str, str] | None = None, base: str | None = None,
              subject_first: str | None = None, in_order: bool = False) -> bytes:
    """A graph (or a dataset, for N-Quads and TriG) in ``fmt``, deterministically.

    Statements are sorted (``subject_first`` leads) unless ``in_order`` says their order
    is already the one to read them in; prefixes are those given, or the ones of
    ``base``'s namespaces that the statements use; blank node labels are kept.
    """
    from .rdf import serialize_statements

    return serialize_statements(statements, fmt, prefixes=prefixes, base=base,
                                subject_first=subject_first, in_order=in_order)


def describe_offered(offered: Iterable[Format]) -> str:
    """The list a 406 response shows, one media type per line."""
    return "\n".join(f"{fmt.media_type} (.{fmt.extension})" for fmt in offered)
