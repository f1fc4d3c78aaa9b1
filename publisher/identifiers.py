"""The "identifiers" of an entity as a page shows them (as Wikidata does): scheme, id, link.

Read from the entity's own statements: ``owl:sameAs`` to Wikidata, DBpedia and GeoNames
(the gazetteer a place's coordinates come from), the ISO
3166-1 codes of a country. Each becomes a row a reader can follow to the other dataset,
with the identifier written the way that dataset writes it (``Q833``, ``MY``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote, unquote

OWL_SAME_AS = "http://www.w3.org/2002/07/owl#sameAs"
WIKIDATA_ENTITY = "http://www.wikidata.org/entity/"
DBPEDIA_RESOURCE = "http://dbpedia.org/resource/"
GEONAMES_FEATURE = "https://sws.geonames.org/"


@dataclass(frozen=True, order=True)
class Identifier:
    scheme: str  # "Wikidata", "DBpedia", "ISO 3166-1 alpha-2", …
    value: str  # as the scheme writes it
    url: str  # where a person reads about it ("" when there is no such page)
    iri: str | None = None  # the linked IRI, for owl:sameAs


def identifiers(statements: Iterable[tuple[str, str]], vocab: str) -> list[Identifier]:
    """Identifier rows from an entity's (predicate IRI, object value) statements."""
    pairs = list(statements)
    alpha2 = next((v for p, v in pairs if p == vocab + "iso3166Alpha2"), None)
    iso_page = f"https://www.iso.org/obp/ui/#iso:code:3166:{quote(alpha2)}" if alpha2 else ""
    found: set[Identifier] = set()
    for predicate, value in pairs:
        if predicate == OWL_SAME_AS and value.startswith(WIKIDATA_ENTITY):
            qid = value[len(WIKIDATA_ENTITY):]
            found.add(Identifier("Wikidata", qid, f"https://www.wikidata.org/wiki/{qid}", value))
        elif predicate == OWL_SAME_AS and value.startswith(DBPEDIA_RESOURCE):
            name = unquote(value[len(DBPEDIA_RESOURCE):])
            found.add(Identifier("DBpedia", name.replace("_", " "),
                                 f"https://dbpedia.org/page/{quote(name, safe='')}", value))
        elif predicate == OWL_SAME_AS and value.startswith(GEONAMES_FEATURE):
            geonames_id = value[len(GEONAMES_FEATURE):].strip("/")
            found.add(Identifier("GeoNames", geonames_id,
                                 f"https://www.geonames.org/{quote(geonames_id)}/", value))
        elif predicate == OWL_SAME_AS:
            found.add(Identifier("Same as", value, value, value))
        elif predicate == vocab + "iso3166Alpha2":
            found.add(Identifier("ISO 3166-1 alpha-2", value, iso_page))
        elif predicate == vocab + "iso3166Alpha3":
            found.add(Identifier("ISO 3166-1 alpha-3", value, iso_page))
    order = {"Wikidata": 0, "DBpedia": 1, "GeoNames": 2, "ISO 3166-1 alpha-2": 3,
             "ISO 3166-1 alpha-3": 4}
    return sorted(found, key=lambda i: (order.get(i.scheme, 9), i.value))
