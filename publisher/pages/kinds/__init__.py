"""A page design per kind of thing: which builder makes the page of an IRI.

Each builder fills a :class:`~publisher.pages.model.Page` from the build being served:
person, event (meetings, visits, sessions …), country, organisation, place, source
graph and article, topic; anything else gets the generic page (its statements, and what
links to it under hand-written inverse labels).
"""

from __future__ import annotations

from collections.abc import Callable

from ..model import Link, Page, Summary, Text
from . import generic
from .common import RDF_TYPE, Context, iri_ref

Builder = Callable[[Context, str, Page], Page]


def _builders() -> list[tuple[tuple[str, ...], str, Builder]]:
    """(classes, template word, builder): the first whose class the thing has wins."""
    from . import country, event, organisation, person, place, source, topic

    return [
        (("foaf:Person",), "person", person.build),
        (("dip:DiplomaticEvent",), "event", event.build),
        (("dip:Country",), "country", country.build),
        (("dip:Place",), "place", place.build),
        (("dip:SourceGraph", "dip:ReferenceGraph", "schema:NewsArticle"), "source",
         source.build),
        (("org:Organization", "dip:Organization", "foaf:Organization"), "organisation",
         organisation.build),
        (("skos:Concept",), "topic", topic.build),
    ]


def kinds_of(ctx: Context, iri: str) -> set[str]:
    """Every class the thing is an instance of, its superclasses included (compact)."""
    rows = ctx.select(f"""SELECT DISTINCT ?c WHERE {{
        {iri_ref(iri)} rdf:type/rdfs:subClassOf* ?c }}""")
    known = {"http://xmlns.com/foaf/0.1/": "foaf:", ctx.vocab: "dip:",
             "http://www.w3.org/ns/org#": "org:", "http://schema.org/": "schema:",
             "http://www.w3.org/2004/02/skos/core#": "skos:"}
    found = set()
    for row in rows:
        value = row["c"].value
        for namespace, prefix in known.items():
            if value.startswith(namespace):
                found.add(prefix + value[len(namespace):])
    return found


def header(ctx: Context, iri: str, doc_iri: str) -> Page:
    """Title, kinds (the most specific classes, in words), lead, identifiers."""
    types = ctx.select(f"""SELECT DISTINCT ?t WHERE {{ {iri_ref(iri)} a ?t
        FILTER NOT EXISTS {{ {iri_ref(iri)} a ?sub . ?sub rdfs:subClassOf+ ?t
                             FILTER(?sub != ?t) }} }}""")
    kinds = sorted((Link(ctx.label(r["t"].value), r["t"].value) for r in types),
                   key=lambda link: (link.label, link.href))
    lead = ctx.select(f"""SELECT ?text WHERE {{ {iri_ref(iri)}
        skos:definition|rdfs:comment|dip:summary ?text }} ORDER BY ?text LIMIT 1""")
    page = Page(title=ctx.label(iri), iri=iri, doc_iri=doc_iri, kinds=kinds,
                lead=lead[0]["text"].value if lead else None,
                identifiers=generic.identifiers(ctx, iri))
    aliases = ctx.select(f"""SELECT DISTINCT ?alt WHERE {{ {iri_ref(iri)}
        skos:altLabel|dip:acronym ?alt }} ORDER BY ?alt""")
    if aliases:
        page.summary.append(Summary("Also known as", [Text(r["alt"].value) for r in aliases],
                                    sep=", "))
    return page


def build_page(ctx: Context, iri: str, doc_iri: str) -> Page:
    page = header(ctx, iri, doc_iri)
    classes = kinds_of(ctx, iri)
    for wanted, word, builder in _builders():
        if classes & set(wanted):
            page.template = f"{word}.html" if word in TEMPLATES else "page.html"
            page.kind = word
            return builder(ctx, iri, page)
    return generic.generic_page(ctx, iri, page)


#: Kinds with a template of their own (the rest use ``page.html`` as it is).
TEMPLATES: set[str] = set()

__all__ = ["Context", "RDF_TYPE", "build_page"]
