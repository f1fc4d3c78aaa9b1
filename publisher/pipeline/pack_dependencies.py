"""What each packed document was read from, so a rebuild re-describes only what changed.

:func:`publisher.linked_data.describe.describe` reads the store through three quad
patterns only: a subject's quads (optionally of one graph or one predicate) and an
object's quads. A document's quads are a function of the answers to the patterns it
asked (it is deterministic, and each pattern it asks next depends only on the answers so
far), so if no answer changed, neither did the document. A pattern's answer changes only
if a quad that was added or removed matches it: one with that subject, or that object.

So the pack records, per document, the keys of the patterns it asked (``s`` + subject,
``o`` + object; a predicate or graph restriction is ignored, which can only make a
document look touched when it is not), as 64-bit hashes. A rebuild computes the keys of
the quads that differ between the live store and the new one (only in the graphs whose
hash changed) and describes again exactly the documents whose keys meet them, plus those
that appear or disappear. A hash collision also only marks a document as touched.
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Iterable, Iterator

import pyoxigraph as ox

#: Recorded in the pack's meta: a pack whose dependencies were recorded another way (or
#: not at all) is never used for an incremental pack.
DEPENDENCY_SCHEME = "1"


def key_hash(kind: str, term: ox.Term) -> int:
    """The 64-bit key of a pattern over ``term`` (``kind``: ``s`` subject, ``o`` object)."""
    return int.from_bytes(hashlib.blake2b(f"{kind}{term}".encode(), digest_size=8).digest(),
                          "little")


class RecordingReader:
    """A store reader that remembers the patterns :func:`describe` asks of it."""

    def __init__(self, store: object) -> None:
        self._store = store
        self.keys: set[tuple[str, ox.Term]] = set()
        self._hashes: dict[tuple[str, ox.Term], int] = {}

    def quads(self, subject: ox.Term | None = None, predicate: ox.NamedNode | None = None,
              object: ox.Term | None = None,  # noqa: A002 - the store interface's name
              graph: ox.NamedNode | ox.DefaultGraph | None = None) -> Iterator[ox.Quad]:
        if subject is not None:
            self.keys.add(("s", subject))
        elif object is not None:
            self.keys.add(("o", object))
        else:  # describe never asks this; a document that did would depend on everything
            raise ValueError("a recorded description asks for a subject or an object")
        return self._store.quads(subject, predicate, object, graph)  # type: ignore[attr-defined]

    #: Hashes remembered across documents (the sources, articles and publishers that
    #: many documents read are hashed once); past this many, it starts afresh.
    REMEMBERED = 500_000

    def take(self) -> bytes:
        """The keys asked since the last call, as a packed array of hashes."""
        known = self._hashes
        if len(known) > self.REMEMBERED:
            known.clear()
        hashes = set()
        for key in self.keys:
            found = known.get(key)
            if found is None:
                found = known[key] = key_hash(*key)
            hashes.add(found)
        self.keys = set()
        return array("Q", sorted(hashes)).tobytes()


def changed_keys(quads: Iterable[ox.Quad]) -> set[int]:
    """The keys of every pattern whose answer includes one of ``quads``."""
    found: set[int] = set()
    for quad in quads:
        found.add(key_hash("s", quad.subject))
        found.add(key_hash("o", quad.object))
    return found


def touches(keys: bytes, changed: set[int]) -> bool:
    """Whether a document that asked ``keys`` (from :meth:`RecordingReader.take`) may
    read differently now."""
    return not changed.isdisjoint(memoryview(keys).cast("Q"))
