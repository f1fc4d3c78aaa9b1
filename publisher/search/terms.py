"""Short, base-independent names for classes and properties, and reading them back.

Search (``type=``) and reconciliation (types, property ids) name our vocabulary with the
ids people would type: ``Country`` for an ontology term, ``foaf:Person`` for a term of a
reused vocabulary. They do not contain the deployment's base IRI, so an OpenRefine
project that stored them keeps working when the dataset moves host. Full IRIs are
accepted wherever a short id is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache

from ..namespaces import STANDARD
from .text import fold


@lru_cache(maxsize=4096)  # few distinct classes and properties, asked for very often
def short_id(iri: str, vocab: str) -> str:
    """``Country`` for ``{vocab}Country``, ``foaf:Person`` for FOAF's, else the IRI."""
    if iri.startswith(vocab) and _is_local(iri[len(vocab):]):
        return iri[len(vocab):]
    for prefix, namespace in STANDARD.items():
        if iri.startswith(namespace) and _is_local(iri[len(namespace):]):
            return f"{prefix}:{iri[len(namespace):]}"
    return iri


def _is_local(name: str) -> bool:
    return bool(name) and "/" not in name and "#" not in name and ":" not in name


def expand(term: str, vocab: str) -> str:
    """The IRI a short id stands for (the inverse of :func:`short_id`)."""
    if term.startswith(("http://", "https://")):
        return term
    prefix, colon, local = term.partition(":")
    if colon and prefix == "dip":
        return vocab + local
    if colon and prefix in STANDARD:
        return STANDARD[prefix] + local
    return vocab + term


class UnknownTerm(ValueError):
    """A type or property a request names that the dataset does not have."""

    def __init__(self, kind: str, given: str, known: Iterable[str]) -> None:
        self.kind = kind
        self.given = given
        self.known = sorted(known)
        shown = ", ".join(self.known[:40]) + (" …" if len(self.known) > 40 else "")
        super().__init__(f"unknown {kind} {given!r}; known {kind}s: {shown}")


def resolve(given: str, terms: Mapping[str, str], vocab: str, kind: str) -> str:
    """The short id of ``given`` among ``terms`` (short id -> name), or UnknownTerm.

    Accepted, in order: the short id itself, a full IRI or ``dip:`` form of it, a local
    name or a name (label) that is unambiguous, case- and accent-insensitively.
    """
    text = given.strip()
    if text in terms:
        return text
    as_short = short_id(expand(text, vocab), vocab) if text else text
    if as_short in terms:
        return as_short
    wanted = fold(text)
    for candidates in (
        [t for t in terms if fold(t.rpartition(":")[2]) == wanted],
        [t for t, name in terms.items() if fold(name) == wanted],
    ):
        if len(candidates) == 1:
            return candidates[0]
    raise UnknownTerm(kind, given, terms)
