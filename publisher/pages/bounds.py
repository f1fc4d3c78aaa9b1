"""How much one page shows, whatever the size of the data.

A page is read by a person and rendered per request (or prepared per build): a summit
with 2,000 side meetings, a country with 10,000 events or a home page over a million
statements must still answer quickly, in a page of bounded size, with a picture a
person can read. So every list that grows with the data shows its first rows in a
stated order and says how many there are, with a link to the SPARQL query page that
lists them all; every picture draws a readable number of items and says so; and a
picture's JSON, which holds more than the picture, is bounded too and says so.
"""

from __future__ import annotations

from urllib.parse import quote

#: Rows of a long section (events, records, incoming links): the first ones in the
#: section's stated order (events: the most recent), then "N more" and a query link.
SECTION_ROWS = 50
#: People (or states and organisations) drawn in a who-met-whom network: the most
#: connected. Far below networkx's 500-node switch to scipy, which is not a dependency.
NETWORK_NODES = 30
#: Meetings drawn as edges of a network (the most recent), each with its date label.
NETWORK_EDGES = 100
#: Events drawn on a timeline: the most recent (a row each).
TIMELINE_EVENTS = 30
#: Places marked on a map: those with the most events.
MAP_PLACES = 60
#: Events a picture's JSON is made from (the most recent): more than the picture draws,
#: still bounded; the JSON says when it holds less than everything.
FIGURE_JSON_EVENTS = 1000


def query_href(base: str, sparql: str) -> str:
    """The site's query page running ``sparql`` (its results as a table in a browser)."""
    return f"{base}sparql?query={quote(sparql)}"


def plural(n: int, word: str, words: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (words or word + 's')}"
