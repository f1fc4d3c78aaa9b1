"""ISO 3166-1 codes of the countries, from the ``pycountry`` package, not typed by hand.

A country's IRI ends with its alpha-3 code (``id/country/MYS``; the shapes check it), so
the codes follow from the identifier: this step adds ``dip:iso3166Alpha2`` and
``dip:iso3166Alpha3`` from ISO 3166-1 as pycountry ships it, in the graph that defines the
country. A code typed in the data must agree with ISO 3166-1, or the build stops naming
the country. Countries whose code is not an ISO 3166-1 code (user-assigned codes such as
``XA``, used by the synthetic benchmark data) keep the codes their data states.
"""

from __future__ import annotations

from dataclasses import dataclass

import pycountry
import pyoxigraph as ox

RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


@dataclass(frozen=True)
class CodeConflict:
    country: str
    property: str
    stated: str
    iso: str

    def __str__(self) -> str:
        return (f"{self.country}: {self.property} is {self.stated!r} in the data but "
                f"{self.iso!r} in ISO 3166-1 (pycountry); remove the typed code")


def country_code_quads(dataset: ox.Store, base: str) -> tuple[list[ox.Quad], list[CodeConflict]]:
    """Quads to add (codes a country lacks) and conflicts with codes the data states."""
    vocab = base + "ontology#"
    country_class = ox.NamedNode(vocab + "Country")
    alpha2 = ox.NamedNode(vocab + "iso3166Alpha2")
    alpha3 = ox.NamedNode(vocab + "iso3166Alpha3")
    prefix = base + "id/country/"
    added: list[ox.Quad] = []
    conflicts: list[CodeConflict] = []
    seen: set[str] = set()
    for typing in dataset.quads_for_pattern(None, RDF_TYPE, country_class, None):
        country = typing.subject
        if not isinstance(country, ox.NamedNode) or country.value in seen \
                or not country.value.startswith(prefix):
            continue
        seen.add(country.value)
        iso = pycountry.countries.get(alpha_3=country.value[len(prefix):])
        if iso is None:
            continue
        for prop, code in ((alpha2, iso.alpha_2), (alpha3, iso.alpha_3)):
            stated = {q.object.value for q in dataset.quads_for_pattern(country, prop, None,
                                                                          None)}
            for value in sorted(stated - {code}):
                conflicts.append(CodeConflict(country.value, prop.value.rpartition("#")[2],
                                              value, code))
            if not stated:
                added.append(ox.Quad(country, prop, ox.Literal(code), typing.graph_name))
    return added, conflicts
