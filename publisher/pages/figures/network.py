"""Who met whom: people (or countries) as nodes, one edge per meeting, labelled by date.

Two people who met three times are joined by three edges, bowed apart, each with its
date, so the picture answers "how often, and when?" as well as "who?". The layout is
networkx's force-directed one with a fixed seed over nodes and edges in a fixed order,
so the same data always gives the same picture (and the same bytes, for the ETag).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import networkx as nx
from markupsafe import Markup

from ..bounds import NETWORK_EDGES, NETWORK_NODES
from ..dates import PartialDate, format_span, parse_date
from .svg import element, figure, shorten, title

WIDTH = 960.0
MARGIN_X = 90.0
MARGIN_Y = 34.0
FONT = 12.5
EDGE_FONT = 10.5
BOW = 22.0
SEED = 20240725
#: Steps of the force-directed layout: plenty for the few dozen nodes a picture draws.
ITERATIONS = 100

STYLE = """
svg.network { font-family: system-ui, "DejaVu Sans", sans-serif; font-size: 12.5px; }
svg.network .edge { fill: none; stroke: #7c8aa3; stroke-width: 1.4; }
svg.network .edge.undated { stroke-dasharray: 5 4; }
svg.network .legend text { fill: #4a5264; font-size: 11px; }
svg.network .edge-label { fill: #3d4557; font-size: 10.5px; text-anchor: middle;
  paint-order: stroke; stroke: #ffffff; stroke-width: 3px; stroke-linejoin: round; }
svg.network .node circle { fill: #1f5fa8; stroke: #ffffff; stroke-width: 2; }
svg.network .node.country circle { fill: #7a3e9d; }
svg.network .node.organisation circle { fill: #2e7d4f; }
svg.network .node.focus circle { fill: #c2410c; }
svg.network .node text { fill: #1d2433; text-anchor: middle; paint-order: stroke;
  stroke: #ffffff; stroke-width: 4px; stroke-linejoin: round; }
svg.network .node.focus text { font-weight: 700; }
"""


@dataclass(frozen=True)
class NetworkNode:
    iri: str
    label: str
    #: ``person``, ``country`` or ``organisation``: the node's colour.
    kind: str = "person"

    def to_json(self) -> dict[str, object]:
        return {"iri": self.iri, "label": self.label, "kind": self.kind}


@dataclass(frozen=True)
class NetworkEdge:
    """One meeting between two of the nodes (a meeting of three is three edges)."""

    source: str
    target: str
    event: str
    event_label: str
    #: None for a meeting whose source gives no date: still an edge (who met whom is
    #: known), drawn dashed and without a date label.
    start: PartialDate | str | None
    end: PartialDate | str | None = None

    @property
    def when(self) -> str:
        if self.start is None:
            end = parse_date(self.end)
            return f"until {format_span(end)}" if end else "date not given"
        return format_span(parse_date(self.start), parse_date(self.end))

    @property
    def sort_key(self) -> tuple:
        """Dated meetings in date order, then the undated ones."""
        start = parse_date(self.start) or parse_date(self.end)
        dated = (0, *start.sort_key) if start else (1,)
        return (dated, self.event, self.source, self.target)

    def to_json(self) -> dict[str, object]:
        start, end = parse_date(self.start), parse_date(self.end)
        return {"source": self.source, "target": self.target, "event": self.event,
                "eventLabel": self.event_label, "start": start.iso if start else None,
                "end": end.iso if end else None, "when": self.when}


def layout(nodes: Sequence[NetworkNode], edges: Sequence[NetworkEdge],
           focus: str | None) -> dict[str, tuple[float, float]]:
    """Positions in [0, 1]²; the focus (the page's own person or country) in the middle."""
    graph = nx.Graph()
    graph.add_nodes_from(sorted(node.iri for node in nodes))
    for edge in sorted(edges, key=lambda e: e.sort_key):
        if graph.has_edge(edge.source, edge.target):
            graph[edge.source][edge.target]["weight"] += 1
        else:
            graph.add_edge(edge.source, edge.target, weight=1)
    components = sorted((sorted(c) for c in nx.connected_components(graph)),
                        key=lambda c: (-len(c), c[0]))
    if len(components) > 1:  # side by side, each as wide as its size warrants
        widths = [len(c) ** 0.5 for c in components]
        placed: dict[str, tuple[float, float]] = {}
        left = 0.0
        for component, width in zip(components, widths, strict=True):
            share = width / sum(widths)
            inner = layout([n for n in nodes if n.iri in component],
                           [e for e in edges if e.source in component], focus)
            for iri, (x, y) in inner.items():
                placed[iri] = (left + share * (0.1 + 0.8 * x), y)
            left += share
        return placed
    if len(graph) == 1:
        return {next(iter(graph)): (0.5, 0.5)}
    fixed = [focus] if focus in graph else None
    start = {focus: (0.0, 0.0)} if fixed else None
    k = 1.6 / math.sqrt(len(graph))
    positions = nx.spring_layout(graph, k=k, pos=start, fixed=fixed, seed=SEED,
                                 iterations=ITERATIONS, weight=None)
    xs = [float(p[0]) for p in positions.values()]
    ys = [float(p[1]) for p in positions.values()]
    if fixed:  # keep the focus centred: scale symmetrically around it
        reach_x = max(abs(x) for x in xs) or 1.0
        reach_y = max(abs(y) for y in ys) or 1.0
        return {iri: (0.5 + float(p[0]) / (2 * reach_x), 0.5 + float(p[1]) / (2 * reach_y))
                for iri, p in positions.items()}
    span_x = (max(xs) - min(xs)) or 1.0
    span_y = (max(ys) - min(ys)) or 1.0
    return {iri: ((float(p[0]) - min(xs)) / span_x, (float(p[1]) - min(ys)) / span_y)
            for iri, p in positions.items()}


def connected_network(nodes: Sequence[NetworkNode], edges: Sequence[NetworkEdge],
                      focus: str | None, limit: int = NETWORK_NODES,
                      edge_limit: int = NETWORK_EDGES
                      ) -> tuple[list[NetworkNode], list[NetworkEdge]]:
    """The ``limit`` parties with the most meetings (the focus always), and the most
    recent ``edge_limit`` meetings among them; ties by IRI, so the same data always
    gives the same picture."""
    degree: Counter[str] = Counter()
    for edge in edges:
        degree[edge.source] += 1
        degree[edge.target] += 1
    ranked = sorted(nodes, key=lambda n: (n.iri != focus, -degree[n.iri], n.iri))[:limit]
    keep = {n.iri for n in ranked}
    among = [e for e in edges if e.source in keep and e.target in keep]
    if len(among) > edge_limit:
        dated = sorted((e for e in among if e.start is not None or e.end is not None),
                       key=lambda e: e.sort_key, reverse=True)
        undated = [e for e in among if e.start is None and e.end is None]
        among = sorted((dated + sorted(undated, key=lambda e: e.sort_key))[:edge_limit],
                       key=lambda e: e.sort_key)
    linked = {e.source for e in among} | {e.target for e in among}
    return [n for n in nodes if n.iri in linked], among


def _curve(a: tuple[float, float], b: tuple[float, float], bow: float) -> tuple[str, float,
                                                                                 float]:
    """A quadratic curve from a to b bowed sideways; also the point halfway along it."""
    (x1, y1), (x2, y2) = a, b
    length = math.hypot(x2 - x1, y2 - y1) or 1.0
    nx_, ny_ = -(y2 - y1) / length, (x2 - x1) / length
    cx, cy = (x1 + x2) / 2 + nx_ * bow * 2, (y1 + y2) / 2 + ny_ * bow * 2
    mid_x, mid_y = (x1 + 2 * cx + x2) / 4, (y1 + 2 * cy + y2) / 4
    path = f"M{x1:.1f} {y1:.1f}Q{cx:.1f} {cy:.1f} {x2:.1f} {y2:.1f}"
    return path, mid_x, mid_y


def network_svg(nodes: Sequence[NetworkNode], edges: Sequence[NetworkEdge], heading: str,
                focus: str | None = None, figure_id: str = "network") -> Markup:
    """The network as an SVG element, or empty markup when no two nodes met."""
    known = {node.iri for node in nodes}
    edges = [e for e in edges if e.source in known and e.target in known
             and e.source != e.target]
    linked = {e.source for e in edges} | {e.target for e in edges}
    nodes = [n for n in nodes if n.iri in linked]
    if not edges:
        return Markup("")
    if len(nodes) > NETWORK_NODES or len(edges) > NETWORK_EDGES:  # never unreadable, and
        nodes, edges = connected_network(nodes, edges, focus)  # never networkx's scipy path
    height = max(320.0, min(720.0, 150.0 + 34.0 * len(nodes)))
    unit = layout(nodes, edges, focus)
    place = {iri: (MARGIN_X + x * (WIDTH - 2 * MARGIN_X), MARGIN_Y + y * (height - 2 * MARGIN_Y))
             for iri, (x, y) in unit.items()}
    pairs: dict[tuple[str, str], list[NetworkEdge]] = defaultdict(list)
    for edge in sorted(edges, key=lambda e: e.sort_key):
        pairs[tuple(sorted((edge.source, edge.target)))].append(edge)
    label_of = {node.iri: node.label for node in nodes}
    drawn_edges, edge_labels = [], []
    for (a, b), meetings in sorted(pairs.items()):
        for index, edge in enumerate(meetings):
            bow = (index - (len(meetings) - 1) / 2) * BOW
            path, mx, my = _curve(place[a], place[b], bow)
            words = f"{label_of[a]} and {label_of[b]}: {edge.event_label}, {edge.when}"
            dated = edge.start is not None
            drawn_edges.append(element("path", {"class": "edge" if dated else "edge undated",
                                                "d": path, "data-event": edge.event},
                                       title(words)))
            if dated:
                edge_labels.append(element("text", {"class": "edge-label", "x": mx,
                                                    "y": my + 3.5}, edge.when))
    drawn_nodes = []
    for node in sorted(nodes, key=lambda n: n.iri):
        x, y = place[node.iri]
        radius = 9.0 if node.iri == focus else 6.0
        meetings = sum(1 for e in edges if node.iri in (e.source, e.target))
        words = f"{node.label}: {meetings} meeting{'s' if meetings != 1 else ''} shown"
        label = shorten(node.label, 2 * MARGIN_X - 10, FONT)
        drawn_nodes.append(element(
            "g", {"class": f"node {node.kind}" + (" focus" if node.iri == focus else ""),
                  "data-iri": node.iri},
            title(words),
            element("circle", {"cx": x, "cy": y, "r": radius}),
            element("text", {"x": x, "y": y - radius - 5}, label)))
    people = len(nodes)
    undated = sum(1 for e in edges if e.start is None)
    description = (f"{people} {'parties' if people != 1 else 'party'} joined by "
                   f"{len(edges)} meeting{'s' if len(edges) != 1 else ''}, one line per "
                   "meeting, each labelled with its date"
                   + (f" ({undated} without a date given, drawn dashed)" if undated else "")
                   + ". The same meetings are listed as text beside this picture.")
    body = [element("g", {"class": "edges"}, *drawn_edges),
            element("g", {"class": "edge-labels", "aria-hidden": "true"}, *edge_labels),
            element("g", {"class": "nodes"}, *drawn_nodes)]
    if undated:
        body.append(element(
            "g", {"class": "legend", "aria-hidden": "true"},
            element("path", {"class": "edge undated", "d": f"M8 {height - 10}h26"}),
            element("text", {"x": 40, "y": height - 6}, "date not given")))
    return figure("network", figure_id, WIDTH, height, heading, description, STYLE, body)


def network_json(nodes: Sequence[NetworkNode], edges: Sequence[NetworkEdge]) -> dict:
    return {"nodes": [n.to_json() for n in sorted(nodes, key=lambda n: n.iri)],
            "edges": [e.to_json() for e in sorted(edges, key=lambda e: e.sort_key)]}
