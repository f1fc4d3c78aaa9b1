"""ISO codes from pycountry in the build, and the identifiers rows of a page."""

from __future__ import annotations

import pyoxigraph as ox

from publisher.identifiers import Identifier, identifiers
from publisher.pipeline.country_codes import country_code_quads

BASE = "http://example.org/"
VOCAB = BASE + "ontology#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
REFERENCE = ox.NamedNode(BASE + "id/graph/reference")


def store_with(*quads: ox.Quad) -> ox.Store:
    store = ox.Store()
    store.bulk_extend(quads)
    return store


def country(code: str) -> ox.NamedNode:
    return ox.NamedNode(BASE + "id/country/" + code)


def typed(code: str) -> ox.Quad:
    return ox.Quad(country(code), RDF_TYPE, ox.NamedNode(VOCAB + "Country"), REFERENCE)


def code(code3: str, prop: str, value: str) -> ox.Quad:
    return ox.Quad(country(code3), ox.NamedNode(VOCAB + prop), ox.Literal(value), REFERENCE)


def test_codes_come_from_iso_3166_in_the_defining_graph() -> None:
    added, conflicts = country_code_quads(store_with(typed("TUR"), typed("MYS")), BASE)
    assert conflicts == []
    assert set(added) == {code("TUR", "iso3166Alpha2", "TR"), code("TUR", "iso3166Alpha3", "TUR"),
                          code("MYS", "iso3166Alpha2", "MY"), code("MYS", "iso3166Alpha3", "MYS")}


def test_typed_codes_that_agree_are_kept_and_those_that_do_not_stop_the_build() -> None:
    added, conflicts = country_code_quads(store_with(
        typed("NOR"), code("NOR", "iso3166Alpha2", "NO"), code("NOR", "iso3166Alpha3", "NOR"),
        typed("MYS"), code("MYS", "iso3166Alpha2", "ML")), BASE)
    assert added == [code("MYS", "iso3166Alpha3", "MYS")]
    assert [str(c) for c in conflicts] == [
        f"{BASE}id/country/MYS: iso3166Alpha2 is 'ML' in the data but 'MY' in ISO 3166-1 "
        "(pycountry); remove the typed code"]


def test_user_assigned_codes_are_left_to_the_data() -> None:
    added, conflicts = country_code_quads(store_with(typed("XAA")), BASE)
    assert added == [] and conflicts == []


def test_identifiers_rows_for_links_and_codes() -> None:
    rows = identifiers([
        ("http://www.w3.org/2002/07/owl#sameAs", "http://dbpedia.org/resource/S._Jaishankar"),
        ("http://www.w3.org/2002/07/owl#sameAs", "http://www.wikidata.org/entity/Q833"),
        (VOCAB + "iso3166Alpha3", "MYS"),
        (VOCAB + "iso3166Alpha2", "MY"),
        (VOCAB + "nationality", BASE + "id/country/MYS"),
    ], VOCAB)
    assert rows == [
        Identifier("Wikidata", "Q833", "https://www.wikidata.org/wiki/Q833",
                   "http://www.wikidata.org/entity/Q833"),
        Identifier("DBpedia", "S. Jaishankar", "https://dbpedia.org/page/S._Jaishankar",
                   "http://dbpedia.org/resource/S._Jaishankar"),
        Identifier("ISO 3166-1 alpha-2", "MY", "https://www.iso.org/obp/ui/#iso:code:3166:MY"),
        Identifier("ISO 3166-1 alpha-3", "MYS", "https://www.iso.org/obp/ui/#iso:code:3166:MY"),
    ]


def test_a_geonames_link_is_a_geonames_row() -> None:
    """A place's coordinates come from its GeoNames feature (data/reference/places.yaml)."""
    rows = identifiers([
        ("http://www.w3.org/2002/07/owl#sameAs", "https://sws.geonames.org/1735161/"),
        ("http://www.w3.org/2002/07/owl#sameAs", "http://www.wikidata.org/entity/Q1865"),
    ], VOCAB)
    assert rows[1] == Identifier("GeoNames", "1735161", "https://www.geonames.org/1735161/",
                                 "https://sws.geonames.org/1735161/")
