"""Cool URIs don't change: every entity IRI ever published keeps answering.

The repository keeps the list of every entity IRI the dataset has published
(``data/published-iris.txt``, paths relative to the base, so the list does not depend on
the deployment's host). Each build checks the new dataset against it: an IRI that is no
longer an entity must be *retired* in the data, either

- renamed: ``isReplacedBy: person/new-id`` (``dcterms:isReplacedBy``) -> ``301`` to the
  successor (chains are followed), or
- removed: ``deprecated: true`` (``owl:deprecated``) with its ``label`` and a ``note``
  saying what it was and why it went -> ``410 Gone`` with a page saying so,

or the build fails and names the IRI. A successful build adds its new IRIs to the list;
nothing is ever taken out, so a ``404`` never answers an IRI we once published.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

#: Where the list lives, relative to the data folder.
PUBLISHED_FILE = "published-iris.txt"
HEADER = (
    "# Every entity IRI this dataset has published, relative to the base IRI.\n"
    "# Maintained by `publisher build` (new IRIs are added, none is ever removed): an IRI\n"
    "# that disappears from the data must be retired there (isReplacedBy, or deprecated\n"
    "# with a label and a note), or the build fails. Commit this file with the data.\n"
)
#: How many renames in a row a redirect follows before calling the chain broken.
MAX_CHAIN = 16

RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
OWL_DEPRECATED = ox.NamedNode("http://www.w3.org/2002/07/owl#deprecated")
IS_REPLACED_BY = ox.NamedNode("http://purl.org/dc/terms/isReplacedBy")
LABELS = (ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
          ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel"))
NOTES = (ox.NamedNode("http://www.w3.org/2004/02/skos/core#note"),
         ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment"),
         ox.NamedNode("http://www.w3.org/2004/02/skos/core#changeNote"))


@dataclass(frozen=True)
class Retired:
    """An IRI the data retires: renamed (``replaced_by``) or removed."""

    path: str  # relative to the base: "id/person/old"
    replaced_by: str | None  # relative path of the successor
    label: str
    note: str
    successors: int = 0  # how many the data names (more than one is an error)


@dataclass(frozen=True)
class Moved:
    """Answer ``301 Moved Permanently`` to ``path`` (the live successor)."""

    path: str


@dataclass(frozen=True)
class Gone:
    """Answer ``410 Gone`` with a page saying what ``retired`` was."""

    retired: Retired


def read_published(path: Path) -> list[str]:
    """The published IRIs (relative paths), without comments and blank lines."""
    if not path.exists():
        return []
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def write_published(path: Path, paths: Iterable[str]) -> None:
    """Write the sorted list atomically (a reader never sees half a file)."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.write_text(HEADER + "".join(p + "\n" for p in sorted(set(paths))),
                       encoding="utf-8")
    os.replace(partial, path)


def _relative(iri: str, base: str) -> str | None:
    return iri[len(base):] if iri.startswith(base + "id/") else None


def entity_paths(dataset: ox.Store, base: str) -> set[str]:
    """Paths of the entities this dataset publishes: typed IRIs under ``id/``.

    IRIs with a fragment (``…#period``) are parts of their document and answer with it,
    so only the document IRI is listed.
    """
    found = set()
    for quad in dataset.quads_for_pattern(None, RDF_TYPE, None, None):
        if isinstance(quad.subject, ox.NamedNode) and "#" not in quad.subject.value:
            path = _relative(quad.subject.value, base)
            if path is not None:
                found.add(path)
    return found


def retirements(dataset: ox.Store, base: str) -> dict[str, Retired]:
    """Every IRI the data marks as renamed or removed, by relative path."""
    subjects: set[ox.NamedNode] = set()
    for predicate in (IS_REPLACED_BY, OWL_DEPRECATED):
        for quad in dataset.quads_for_pattern(None, predicate, None, None):
            if isinstance(quad.subject, ox.NamedNode):
                subjects.add(quad.subject)
    found = {}
    for subject in subjects:
        path = _relative(subject.value, base)
        if path is None:
            continue
        successors = sorted(q.object.value for q in dataset.quads_for_pattern(
            subject, IS_REPLACED_BY, None, None) if isinstance(q.object, ox.NamedNode))
        found[path] = Retired(
            path,
            _relative(successors[0], base) if successors else None,
            _first(dataset, subject, LABELS) or path,
            _first(dataset, subject, NOTES),
            len(successors),
        )
    return found


def _first(dataset: ox.Store, subject: ox.NamedNode,
           predicates: tuple[ox.NamedNode, ...]) -> str:
    for predicate in predicates:
        values = sorted(q.object.value for q in dataset.quads_for_pattern(
            subject, predicate, None, None) if isinstance(q.object, ox.Literal))
        if values:
            return values[0]
    return ""


def resolve(path: str, retired: dict[str, Retired], live: set[str]) -> Moved | Gone | None:
    """What a request for a retired ``path`` answers; None if it is not retired."""
    record = retired.get(path)
    if record is None:
        return None
    seen = {path}
    current = record
    while current.replaced_by is not None and len(seen) <= MAX_CHAIN:
        successor = current.replaced_by
        if successor in live:
            return Moved(successor)
        if successor in seen or successor not in retired:
            break
        seen.add(successor)
        current = retired[successor]
    return Gone(current if current.replaced_by is None else record)


def check(published: Iterable[str], entities: set[str],
          retired: dict[str, Retired]) -> list[str]:
    """Problems a curator must fix before the build may publish (empty: all is well).

    ``entities`` are this build's entity paths (:func:`entity_paths`).
    """
    problems = []
    live = entities - set(retired)
    for path in sorted(set(published) - live - set(retired)):
        problems.append(
            f"{path} was published and is no longer in the data: keep the entity, or "
            f"retire it with `isReplacedBy: <new id>` (renamed) or `deprecated: true` "
            f"with its `label` and a `note` saying what it was (removed)")
    for path, record in sorted(retired.items()):
        if path in entities:
            problems.append(f"{path} is retired but still an entity (it has a type): "
                            "retire it or keep it, not both")
        if record.successors > 1:
            problems.append(f"{path} is replaced by {record.successors} entities: a renamed "
                            "IRI has one successor (a 301 goes to one place)")
        if record.replaced_by is not None:
            outcome = resolve(path, retired, live)
            if not isinstance(outcome, Moved):
                problems.append(f"{path} is replaced by {record.replaced_by}, which is not a "
                                "live entity (a broken or circular chain of replacements)")
        elif not record.note:
            problems.append(f"{path} is deprecated without a `note` saying what it was")
    return problems


def updated(published: Iterable[str], live: set[str]) -> tuple[list[str], list[str]]:
    """(the new list, the paths it adds): the old list and this build's entities."""
    old = set(published)
    return sorted(old | live), sorted(live - old)


def outcomes(retired: dict[str, Retired], entities: set[str]) -> dict[str, Moved | Gone]:
    """What every retired path answers, decided once per build."""
    live = entities - set(retired)
    found = {}
    for path in sorted(retired):
        outcome = resolve(path, retired, live)
        if outcome is not None:
            found[path] = outcome
    return found


def write_outcomes(path: Path, found: dict[str, Moved | Gone]) -> None:
    """``retired.json`` of a build folder: read by the server, no store needed."""
    document = {}
    for key, outcome in found.items():
        if isinstance(outcome, Moved):
            document[key] = {"moved": outcome.path}
        else:
            record = outcome.retired
            document[key] = {"gone": {"path": record.path, "label": record.label,
                                      "note": record.note}}
    path.write_text(json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n",
                    encoding="utf-8")


def read_outcomes(path: Path) -> dict[str, Moved | Gone]:
    if not path.exists():
        return {}
    found: dict[str, Moved | Gone] = {}
    for key, value in json.loads(path.read_text(encoding="utf-8")).items():
        if "moved" in value:
            found[key] = Moved(value["moved"])
        else:
            gone = value["gone"]
            found[key] = Gone(Retired(gone["path"], None, gone["label"], gone["note"]))
    return found
