"""A map of places on an offline base map: Natural Earth's 1:110m country outlines.

The outlines come from the npm package ``world-atlas`` (Natural Earth, pre-built by the
author of TopoJSON), decoded once by ``topojson-client`` into ``countries-110m.json``
beside this module (``scripts/basemap/`` rebuilds it); the server reads that file and
nothing else, so a map costs no request and works offline. The projection is
equirectangular, framed on the places shown: at the scale of a region that reads well,
and its arithmetic is simple enough to check by hand.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from markupsafe import Markup

from .svg import element, figure, shorten, title

BASEMAP = Path(__file__).with_name("countries-110m.json")
WIDTH = 960.0
ASPECT = 0.5
MIN_SPAN_LON = 24.0
FONT = 12.5

STYLE = """
svg.map { font-family: system-ui, "DejaVu Sans", sans-serif; font-size: 12.5px; }
svg.map .sea { fill: #e6eef7; }
svg.map .land { fill: #f7f5ef; stroke: #b9b4a6; stroke-width: 0.6; }
svg.map .land.highlight { fill: #f1e3c6; }
svg.map .graticule { stroke: #d3deea; stroke-width: 0.6; fill: none; }
svg.map .place circle { fill: #c2410c; stroke: #ffffff; stroke-width: 1.5; }
svg.map .place text { fill: #1d2433; paint-order: stroke; stroke: #ffffff;
  stroke-width: 4px; stroke-linejoin: round; }
svg.map .credit { fill: #4a5264; font-size: 10px; text-anchor: end; }
"""


@dataclass(frozen=True)
class MapPlace:
    iri: str
    label: str
    lat: float
    lon: float
    #: How many events were held there: the marker's size.
    events: int = 1

    def to_json(self) -> dict[str, object]:
        return {"iri": self.iri, "label": self.label, "lat": self.lat, "lon": self.lon,
                "events": self.events}


@dataclass(frozen=True)
class Country:
    name: str
    alpha3: str | None
    polygons: tuple[tuple[tuple[tuple[float, float], ...], ...], ...]
    bbox: tuple[float, float, float, float]


@lru_cache(maxsize=1)
def basemap() -> tuple[Country, ...]:
    data = json.loads(BASEMAP.read_text(encoding="utf-8"))
    countries = []
    for feature in data["features"]:
        polygons = tuple(tuple(tuple((lon, lat) for lon, lat in ring) for ring in polygon)
                         for polygon in feature["polygons"])
        lons = [lon for polygon in polygons for lon, _ in polygon[0]]
        lats = [lat for polygon in polygons for _, lat in polygon[0]]
        countries.append(Country(feature["name"], feature["alpha3"], polygons,
                                 (min(lons), min(lats), max(lons), max(lats))))
    return tuple(countries)


@dataclass(frozen=True)
class Frame:
    """The window of the world shown, in degrees, and its projection onto the picture."""

    west: float
    south: float
    east: float
    north: float

    @classmethod
    def around(cls, places: Sequence[MapPlace]) -> Frame:
        west, east = min(p.lon for p in places), max(p.lon for p in places)
        south, north = min(p.lat for p in places), max(p.lat for p in places)
        span_lon = max(east - west, MIN_SPAN_LON) * 1.5
        span_lat = max(north - south, 1.0) * 1.5
        span_lon = max(span_lon, span_lat / ASPECT)
        span_lat = span_lon * ASPECT
        middle_lon, middle_lat = (west + east) / 2, (south + north) / 2
        middle_lat = min(max(middle_lat, -85 + span_lat / 2), 85 - span_lat / 2)
        return cls(middle_lon - span_lon / 2, middle_lat - span_lat / 2,
                   middle_lon + span_lon / 2, middle_lat + span_lat / 2)

    @property
    def scale(self) -> float:
        return WIDTH / (self.east - self.west)

    def point(self, lon: float, lat: float) -> tuple[float, float]:
        return (lon - self.west) * self.scale, (self.north - lat) * self.scale

    def overlaps(self, bbox: tuple[float, float, float, float]) -> bool:
        west, south, east, north = bbox
        return west <= self.east and east >= self.west and south <= self.north and \
            north >= self.south


def _ring_path(frame: Frame, ring: Iterable[tuple[float, float]]) -> str:
    points = [frame.point(lon, lat) for lon, lat in ring]
    head, *rest = points
    return f"M{head[0]:.1f} {head[1]:.1f}" + "".join(f"L{x:.1f} {y:.1f}" for x, y in rest) + "Z"


def _graticule(frame: Frame, height: float) -> Markup:
    step = 10 if frame.east - frame.west <= 90 else 30
    lines = []
    lon = (int(frame.west) // step) * step
    while lon <= frame.east:
        x, _ = frame.point(lon, 0)
        lines.append(f"M{x:.1f} 0V{height:.1f}")
        lon += step
    lat = (int(frame.south) // step) * step
    while lat <= frame.north:
        _, y = frame.point(0, lat)
        lines.append(f"M0 {y:.1f}H{WIDTH:.1f}")
        lat += step
    return element("path", {"class": "graticule", "d": "".join(lines), "aria-hidden": "true"})


def map_svg(places: Sequence[MapPlace], heading: str, highlight: Iterable[str] = (),
            figure_id: str = "map") -> Markup:
    """Places as dots sized by their events, on the countries around them; the countries
    named in ``highlight`` (ISO 3166-1 alpha-3) tinted. Empty markup without places."""
    if not places:
        return Markup("")
    frame = Frame.around(places)
    height = WIDTH * ASPECT
    tinted = set(highlight)
    land = []
    for country in basemap():
        if not frame.overlaps(country.bbox):
            continue
        path = "".join(_ring_path(frame, ring) for polygon in country.polygons
                       for ring in polygon)
        classes = "land highlight" if country.alpha3 in tinted else "land"
        land.append(element("path", {"class": classes, "d": path,
                                     "data-country": country.alpha3}, title(country.name)))
    markers = []
    for place in sorted(places, key=lambda p: (-p.events, p.label, p.iri)):
        x, y = frame.point(place.lon, place.lat)
        radius = 4.0 + 2.5 * min(place.events, 16) ** 0.5
        right = x < WIDTH - 160
        words = f"{place.label}: {place.events} event{'s' if place.events != 1 else ''}"
        markers.append(element(
            "g", {"class": "place", "data-iri": place.iri}, title(words),
            element("circle", {"cx": x, "cy": y, "r": radius}),
            element("text", {"x": x + radius + 4 if right else x - radius - 4, "y": y + 4.0,
                             "text-anchor": None if right else "end"},
                    shorten(place.label, 150, FONT))))
    named = ", ".join(p.label for p in sorted(places, key=lambda p: p.label))
    description = (f"A map of {len(places)} place{'s' if len(places) != 1 else ''}: {named}. "
                   "Base map: Natural Earth; coordinates of the places: GeoNames. The same "
                   "places are listed as text beside this picture.")
    body = [element("rect", {"class": "sea", "width": WIDTH, "height": height}),
            _graticule(frame, height),
            element("g", {"class": "countries"}, *land),
            element("g", {"class": "places"}, *markers),
            element("text", {"class": "credit", "x": WIDTH - 6, "y": height - 6,
                             "aria-hidden": "true"},
                    "Base map: Natural Earth · places: GeoNames")]
    return figure("map", figure_id, WIDTH, height, heading, description, STYLE, body)


def map_json(places: Sequence[MapPlace]) -> dict[str, object]:
    return {"places": [p.to_json() for p in sorted(places, key=lambda p: (p.label, p.iri))]}
