"""What the build reports per source file: records, facts, facts with evidence, warnings.

A *fact* is one statement a file makes (one triple of its named graph as mapped, before
the derivation rules add what follows from it, and not counting the evidence passages
themselves). A fact *has evidence* when the record it belongs to quotes the passage of
the article that states it. Curators read the two numbers side by side: a file whose
facts are not all evidenced is not done.
"""

from __future__ import annotations

import pickle
from dataclasses import asdict, dataclass, replace

import pyoxigraph as ox

from .build_cache import Entries
from .mapping import MappedFile

EVIDENCE_SUFFIX = "ontology#evidence"


@dataclass(frozen=True)
class SourceSummary:
    file: str
    graph: str
    records: int
    records_with_evidence: int
    facts: int
    facts_with_evidence: int
    warnings: int

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _owners(quads: list[ox.Quad]) -> dict[str, str]:
    """Blank node -> the named subject it hangs from (its record)."""
    parent: dict[str, str] = {}
    for quad in quads:
        if isinstance(quad.object, ox.BlankNode):
            parent.setdefault(quad.object.value, _key(quad.subject))
    owners: dict[str, str] = {}
    for node in parent:
        key, seen = "_:" + node, set()
        while key.startswith("_:") and key[2:] in parent and key not in seen:
            seen.add(key)
            key = parent[key[2:]]
        owners[node] = key
    return owners


def _key(term: ox.NamedNode | ox.BlankNode) -> str:
    return "_:" + term.value if isinstance(term, ox.BlankNode) else term.value


def summarize(mapped: MappedFile, warnings: int = 0) -> SourceSummary:
    quads = [q for q in mapped.quads if q.graph_name == mapped.graph]
    evidenced = {q.subject.value for q in quads if q.predicate.value.endswith(EVIDENCE_SUFFIX)
                 and isinstance(q.subject, ox.NamedNode)}
    owners = _owners(quads)
    facts = with_evidence = 0
    for quad in quads:
        if quad.predicate.value.endswith(EVIDENCE_SUFFIX):
            continue
        facts += 1
        subject = quad.subject
        owner = owners.get(subject.value, "") if isinstance(subject, ox.BlankNode) \
            else subject.value
        if owner in evidenced:
            with_evidence += 1
    records = mapped.fact_file.records
    shown = records[0].file if records else mapped.fact_file.path  # as the project names it
    return SourceSummary(
        file=str(shown), graph=mapped.graph.value, records=len(records),
        records_with_evidence=sum(1 for r in records if r.body.get("evidence")),
        facts=facts, facts_with_evidence=with_evidence, warnings=warnings)


def source_summary(mapped: list[MappedFile], warnings: dict[ox.NamedNode, int],
                   remembered: Entries | None = None) -> list[SourceSummary]:
    """One line per source file (the reference graph states identities, not claims).

    A file's counts depend on its mapping alone, so ``remembered`` keeps them under the
    file's mapping-cache key (:mod:`.build_cache`): a rebuild counts the changed files."""
    out = []
    for item in mapped:
        if item.graph_type != "SourceGraph":
            continue
        summary = None
        if remembered is not None and item.cache_key:
            data = remembered.get(item.cache_key)
            try:
                summary = pickle.loads(data) if data is not None else None
            except Exception:  # a damaged entry is a miss
                summary = None
        if not isinstance(summary, SourceSummary):
            summary = summarize(item)
            if remembered is not None and item.cache_key:
                remembered.put(item.cache_key, pickle.dumps(summary))
        out.append(replace(summary, warnings=warnings.get(item.graph, 0)))
    return out
