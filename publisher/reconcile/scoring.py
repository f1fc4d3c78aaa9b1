"""How well a candidate entity matches a reconciliation query, as a score and features.

Every score is 0-100 and every feature is reported with the candidate, so a client can
weigh them its own way (0.2's ``features``):

- ``name``: the best RapidFuzz similarity between the query and any of the candidate's
  names (labels, alternative labels, acronyms, ISO codes), compared case- and
  accent-free; ``name_exact`` says whether one of them is exactly the query;
- one feature per property constraint: 100 when the candidate has the entity or value
  asked for (an entity is compared by id, or by any of its names), less for a close
  value, 0 when it has other values, absent when it has none (nothing to contradict);
- ``type_match`` (boolean) and ``links`` (how many statements link to the candidate,
  the popularity that breaks ties).

The score is the name similarity, averaged with the property scores when the query has
properties; a candidate outside the wanted types under ``type_strict: should`` loses a
fifth. ``match`` is decided for the whole result (:func:`decide_match`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rapidfuzz import fuzz

from ..search.text import fold

#: A close value (same date at a coarser precision, a name at this similarity) counts.
CLOSE = 90.0
#: A candidate outside the wanted types under ``type_strict: should`` keeps this share.
OFF_TYPE_FACTOR = 0.8


def name_similarity(query: str, names: list[str]) -> tuple[float, bool]:
    """(best similarity, exact) of ``query`` against ``names``, case- and accent-free."""
    wanted = fold(query)
    best, exact = 0.0, False
    for name in names:
        candidate = fold(name)
        if candidate == wanted:
            return 100.0, True
        best = max(best, fuzz.ratio(wanted, candidate), fuzz.token_sort_ratio(wanted, candidate),
                   0.9 * fuzz.WRatio(wanted, candidate))
    return round(best, 2), exact


def literal_similarity(wanted: str, value: str) -> float:
    """A plain value against a literal: equal, or the same date at another precision."""
    a, b = fold(wanted), fold(value)
    if not a or not b:
        return 0.0
    if a == b:
        return 100.0
    if _is_date_prefix(wanted.strip(), value.strip()) or _is_date_prefix(value.strip(),
                                                                          wanted.strip()):
        return CLOSE  # "2024-07" asked, "2024-07-25" stated (or the reverse)
    return round(fuzz.ratio(a, b), 2)


def _is_date_prefix(shorter: str, longer: str) -> bool:
    return (len(shorter) in (4, 7) and len(longer) > len(shorter) and longer.startswith(shorter)
            and longer[len(shorter)] == "-" and shorter[:4].isdigit())


@dataclass
class Scored:
    """A candidate with its features; ``score`` is filled by :func:`combine`."""

    item_id: int
    name: float | None = None
    name_exact: bool = False
    properties: dict[str, float] = field(default_factory=dict)
    property_misses: int = 0  # constraints the candidate has no value for
    type_match: bool = True
    links: int = 0
    score: float = 0.0
    match: bool = False

    def features(self) -> list[dict[str, object]]:
        found: list[dict[str, object]] = []
        if self.name is not None:
            found.append({"id": "name", "value": self.name})
            found.append({"id": "name_exact", "value": self.name_exact})
        found.extend({"id": f"property:{pid}", "value": value}
                     for pid, value in self.properties.items())
        found.append({"id": "type_match", "value": self.type_match})
        found.append({"id": "links", "value": self.links})
        return found


def combine(scored: Scored, constraints: int, type_strict: str) -> float:
    parts = [] if scored.name is None else [scored.name]
    parts.extend(scored.properties.values())
    # A constraint the candidate says nothing about neither helps nor contradicts it, but
    # with no name to go by it must not look like a full match either.
    if scored.name is None:
        parts.extend([0.0] * scored.property_misses)
    score = sum(parts) / len(parts) if parts else 0.0
    if type_strict == "should" and not scored.type_match:
        score *= OFF_TYPE_FACTOR
    scored.score = round(score, 2)
    return scored.score


def decide_match(ranked: list[Scored], has_text: bool, constraints: int) -> None:
    """Mark the top candidate ``match: true`` only when nothing else could be meant.

    It must carry the exact name (when the query has one), have a matching value for
    every property constraint, have a wanted type, and be the only candidate that does.
    """
    def certain(s: Scored) -> bool:
        if has_text and not s.name_exact:
            return False
        if len(s.properties) < constraints:
            return False
        return s.type_match and all(v >= CLOSE for v in s.properties.values())

    sure = [s for s in ranked if certain(s)]
    if len(sure) == 1 and ranked and sure[0] is ranked[0]:
        ranked[0].match = True
