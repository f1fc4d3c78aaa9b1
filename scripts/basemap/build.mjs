// Turns world-atlas's TopoJSON (Natural Earth 1:110m admin-0 countries) into the
// compact GeoJSON the publisher draws its maps on, so that the server needs neither
// Node nor the network: topojson-client decodes the topology; d3-geo cuts the rings that
// cross the antimeridian (Russia, Fiji, Antarctica) so that a flat map draws no line
// across the world; world-countries maps ISO 3166-1 numeric codes to the alpha-3 codes
// our country IRIs use; coordinates are rounded to 0.01 degree (about 1 km, far below
// what a 1:110m outline can show).
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { geoEquirectangular } from "d3-geo";
import { geoProject } from "d3-geo-projection";
import { feature } from "topojson-client";

const require = createRequire(import.meta.url);
const atlasPackage = require("world-atlas/package.json");
const topology = require("world-atlas/countries-110m.json");
const countries = require("world-countries/countries.json");
const out = new URL("../../publisher/pages/figures/countries-110m.json", import.meta.url);

const alpha3 = new Map(countries.map((c) => [c.ccn3, c.cca3]));
const round = (value) => Math.round(value * 100) / 100;

// Equirectangular at one unit per degree: x is the longitude and -y the latitude, but
// every ring is cut where it crosses the antimeridian.
const degrees = geoEquirectangular().scale(180 / Math.PI).translate([0, 0]).precision(0);
const roundRing = (ring) => ring.map(([x, y]) => [round(x), round(-y)]);
const countriesGeo = geoProject(feature(topology, topology.objects.countries), degrees);

const features = countriesGeo.features.filter((f) => f.geometry).map((f) => {
  const polygons = f.geometry.type === "Polygon" ? [f.geometry.coordinates] : f.geometry.coordinates;
  return {
    name: f.properties.name,
    numeric: f.id ?? null,
    alpha3: alpha3.get(f.id) ?? null,
    polygons: polygons.map((polygon) => polygon.map(roundRing)),
  };
});
features.sort((a, b) => a.name.localeCompare(b.name, "en"));

writeFileSync(out, JSON.stringify({
  source: `world-atlas ${atlasPackage.version} countries-110m.json (Natural Earth 1:110m Cultural Vectors, admin-0 countries)`,
  licence: "Natural Earth: public domain; world-atlas: ISC, Copyright 2013-2019 Michael Bostock",
  coordinates: "longitude, latitude in degrees (WGS 84), rounded to 0.01",
  features,
}) + "\n");
console.log(`${features.length} countries written to ${out.pathname}`);
