"""Server-side SVG figures: a timeline, a who-met-whom network and a map.

Each takes plain Python data (frozen dataclasses, also serialisable as JSON) and returns
an accessible ``<svg>`` as markup: no JavaScript, no request, printable.
"""

from .geomap import MapPlace, map_json, map_svg
from .network import NetworkEdge, NetworkNode, network_json, network_svg
from .timeline import TimelineEvent, timeline_json, timeline_svg

__all__ = ["MapPlace", "NetworkEdge", "NetworkNode", "TimelineEvent", "map_json", "map_svg",
           "network_json", "network_svg", "timeline_json", "timeline_svg"]
