"""The label search index: one SQLite file with FTS5 tables, written once per build.

Why SQLite FTS5 (see ``docs/search.md`` for the measurements): it is in the standard
library, its ``unicode61 remove_diacritics 2`` tokenizer gives case- and accent-free
matching with prefix queries, and the same file holds the relational side search and
reconciliation need (types and their super-classes, link counts, names) in one immutable
file per build.

Ranking of :meth:`SearchIndex.search`: exact label, then a label that starts with the
query, then a label that contains every word (each word may be unfinished, so it serves
autocomplete); within a tier, the entity more facts link to first, then a name before an
alternative name, then alphabetical. FTS5 finds the labels with every word; the tier
compares case- and accent-folded forms (:func:`~publisher.search.text.fold`). Items are
entities, types and properties (the latter two for the reconciliation suggest services),
each searched on its own.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .extract import Extract
from .text import (
    TOKENIZER,
    all_words_query,
    any_word_query,
    fold,
    trigram_query,
    trigrams,
    words,
    words_query,
)

#: Name of the index file inside a build folder.
INDEX_FILE = "search.sqlite"
#: Bumped when the schema changes, so a server never reads a file it does not understand.
FORMAT = "1"

SCHEMA = f"""
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE item (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,           -- 'entity' | 'type' | 'property'
  key TEXT NOT NULL,            -- entity: its IRI; type, property: short id
  iri TEXT,                     -- full IRI (NULL for a derived property)
  name TEXT NOT NULL,
  description TEXT NOT NULL,
  links INTEGER NOT NULL,       -- entity: statements linking to it; term: uses
  extra TEXT,                   -- JSON: a type's direct super-classes
  UNIQUE (kind, key)
);
CREATE TABLE label (
  id INTEGER PRIMARY KEY,
  item INTEGER NOT NULL REFERENCES item(id),
  text TEXT NOT NULL,
  alt INTEGER NOT NULL,         -- 0: a name, 1: an alternative name
  folded TEXT NOT NULL,         -- case- and accent-free words: exact and prefix tiers
  kind TEXT NOT NULL,           -- the item's, so ranking needs no join before the page
  links INTEGER NOT NULL        -- the item's
);
CREATE INDEX label_item ON label (item);
CREATE VIRTUAL TABLE label_fts USING fts5 (
  text, content='label', content_rowid='id', tokenize='{TOKENIZER}', prefix='1 2 3');
CREATE VIRTUAL TABLE label_trigram USING fts5 (folded, tokenize='trigram');
CREATE TABLE common_word (word TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE item_type (
  type TEXT NOT NULL, item INTEGER NOT NULL, asserted INTEGER NOT NULL,
  PRIMARY KEY (type, item)) WITHOUT ROWID;
CREATE INDEX item_type_item ON item_type (item);
"""

KINDS = ("entity", "type", "property")
#: A word in more than this share of all names (and at least COMMON_MIN of them) is
#: "common": it does not widen reconciliation's net on its own.
COMMON_SHARE = 0.02
COMMON_MIN = 50


class IndexUnavailable(RuntimeError):
    """An index file that is missing, unreadable or of another build or format."""


@dataclass(frozen=True)
class Item:
    """An entity, type or property as the index knows it."""

    id: int
    kind: str
    key: str
    iri: str | None
    name: str
    description: str
    links: int
    types: tuple[str, ...] = ()  # entity: asserted types (short ids)
    matched: str = ""  # the label the query matched
    tier: int = 0  # 0 exact, 1 prefix, 2 words (search); -1 identifier


@dataclass(frozen=True)
class Page:
    """One page of search results and how many there are in all."""

    total: int
    offset: int
    limit: int
    items: list[Item]


def write_index(extract: Extract, path: Path, build_id: str, base: str) -> Path:
    """Write the index for one build to ``path`` (atomically: a partial file is renamed)."""
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    connection = sqlite3.connect(partial)
    try:
        connection.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + SCHEMA)
        _fill(connection, extract, build_id, base)
        connection.commit()
    finally:
        connection.close()
    os.replace(partial, path)
    return path


def _fill(connection: sqlite3.Connection, extract: Extract, build_id: str, base: str) -> None:
    execute = connection.execute
    meta = {"format": FORMAT, "build_id": build_id, "base": base}
    connection.executemany("INSERT INTO meta VALUES (?, ?)", sorted(meta.items()))
    item_ids: dict[str, int] = {}
    labels: list[tuple[int, str, int]] = []
    next_id = 1
    for entity in sorted(extract.entities.values(), key=lambda e: e.iri):
        execute("INSERT INTO item VALUES (?, 'entity', ?, ?, ?, ?, ?, NULL)",
                (next_id, entity.iri, entity.iri, entity.name, entity.description, entity.links))
        item_ids[entity.iri] = next_id
        labels.extend((next_id, text, int(alt), fold(text), "entity", entity.links)
                      for text, alt in entity.labels)
        types = set(entity.types)
        inferred = set().union(*(extract.superclasses.get(t, set()) for t in types)) - types
        connection.executemany("INSERT INTO item_type VALUES (?, ?, ?)",
                               [(t, next_id, 1) for t in sorted(types)]
                               + [(t, next_id, 0) for t in sorted(inferred)])
        next_id += 1
    for kind, terms in (("type", extract.types), ("property", extract.properties)):
        for term in terms.values():
            extra = term.broader if kind == "type" else None
            execute("INSERT INTO item VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (next_id, kind, term.id, term.iri, term.name, term.description, term.count,
                     None if extra is None else json.dumps(extra)))
            labels.append((next_id, term.name, 0, fold(term.name), kind, term.count))
            if term.id != term.name:
                labels.append((next_id, term.id, 1, fold(term.id), kind, term.count))
            next_id += 1
    connection.executemany("INSERT INTO label (item, text, alt, folded, kind, links)"
                           " VALUES (?, ?, ?, ?, ?, ?)", labels)
    execute("INSERT INTO label_fts (label_fts) VALUES ('rebuild')")
    execute("INSERT INTO label_trigram (rowid, folded) SELECT id, folded FROM label")
    # Words in very many names ("of", "meeting") say little about which entity is meant
    # and make "any of the words" match most of the index: reconciliation skips them.
    execute("CREATE VIRTUAL TABLE temp.label_rows USING fts5vocab(main, label_fts, row)")
    total = execute("SELECT COUNT(*) FROM label").fetchone()[0]
    execute("INSERT INTO common_word SELECT term FROM temp.label_rows WHERE doc > ?",
            (max(COMMON_MIN, int(total * COMMON_SHARE)),))
    execute("DROP TABLE temp.label_rows")
    execute("INSERT INTO label_fts (label_fts) VALUES ('optimize')")
    execute("INSERT INTO label_trigram (label_trigram) VALUES ('optimize')")
    execute("ANALYZE")


class SearchIndex:
    """Read-only access to one build's index file; safe to share between threads."""

    def __init__(self, path: Path, build_id: str | None = None) -> None:
        if not path.is_file():
            raise IndexUnavailable(f"no search index at {path}")
        self.path = path
        self._uri = path.resolve().as_uri() + "?mode=ro&immutable=1"
        self._local = threading.local()
        meta = dict(self._db().execute("SELECT key, value FROM meta").fetchall())
        if meta.get("format") != FORMAT:
            raise IndexUnavailable(
                f"{path}: index format {meta.get('format')!r}, expected {FORMAT}")
        if build_id is not None and meta.get("build_id") != build_id:
            raise IndexUnavailable(
                f"{path}: index of build {meta.get('build_id')}, not {build_id}")
        self.build_id: str = meta["build_id"]
        self.base: str = meta["base"]
        self.vocab = self.base + "ontology#"
        self.id_base = self.base + "id/"
        self.types: dict[str, Item] = {i.key: i for i in self._items("type")}
        self.properties: dict[str, Item] = {i.key: i for i in self._items("property")}
        self._broader = {key: json.loads(extra) for key, extra in self._db().execute(
            "SELECT key, extra FROM item WHERE kind = 'type' AND extra IS NOT NULL")}
        self._common = {row[0] for row in self._db().execute("SELECT word FROM common_word")}

    def _db(self) -> sqlite3.Connection:
        """One connection per thread (sqlite3 objects must stay in their thread)."""
        connection = getattr(self._local, "connection", None)
        if connection is None:
            try:
                connection = sqlite3.connect(self._uri, uri=True)
            except sqlite3.Error as error:
                raise IndexUnavailable(
                    f"{self.path}: cannot open the search index: {error}") from error
            self._local.connection = connection
        return connection

    def _items(self, kind: str) -> list[Item]:
        rows = self._db().execute(
            "SELECT id, kind, key, iri, name, description, links FROM item WHERE kind = ?"
            " ORDER BY key", (kind,))
        return [Item(*row) for row in rows]

    # -- vocabulary ----------------------------------------------------------------
    def broader(self, type_id: str) -> list[str]:
        return list(self._broader.get(type_id, []))

    def type_names(self) -> dict[str, str]:
        return {key: item.name for key, item in self.types.items()}

    def property_names(self) -> dict[str, str]:
        return {key: item.name for key, item in self.properties.items()}

    # -- search --------------------------------------------------------------------
    def search(self, text: str, types: Sequence[str] = (), limit: int = 20, offset: int = 0,
               kind: str = "entity") -> Page:
        """Ranked items whose labels match ``text``; all of ``types`` if no text.

        ``types`` (short ids, any of which the entity must have, super-classes
        included) applies to entities only.
        """
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}")
        tokens = words(text)
        type_filter, type_args = _type_filter(types if kind == "entity" else ())
        if not tokens:
            if text.strip():
                return Page(0, offset, limit, [])
            return self._browse(kind, type_filter, type_args, limit, offset)
        # One FTS5 query finds every label with all the words (the last ones possibly
        # unfinished); the tier compares folded forms: exact name, name starting with the
        # query, or words only. Ranking reads the label rows alone; items are joined for
        # the page only.
        wanted = fold(text)
        label_filter = type_filter.replace("item.id", "label.item")
        ranked = f"""
            WITH ranked AS (
              SELECT label.item AS item, label.text AS matched, label.links AS links,
                     MIN((CASE WHEN label.folded = ? THEN 0
                               WHEN substr(label.folded, 1, ?) = ? THEN 1 ELSE 2 END)
                         * 2 + label.alt) AS rank
              FROM label_fts JOIN label ON label.id = label_fts.rowid
              WHERE label_fts MATCH ? AND label.kind = ? {label_filter}
              GROUP BY label.item)"""
        args = [wanted, len(wanted), wanted, words_query(tokens), kind, *type_args]
        db = self._db()
        rows = db.execute(f"""{ranked}, page AS (
              SELECT item, matched, rank, COUNT(*) OVER () AS total FROM ranked
              ORDER BY rank / 2, links DESC, rank % 2, matched, item LIMIT ? OFFSET ?)
            SELECT item.id, item.kind, item.key, item.iri, item.name, item.description,
                   item.links, page.matched, page.rank / 2, page.total
            FROM page JOIN item ON item.id = page.item
            ORDER BY page.rank / 2, item.links DESC, page.rank % 2, page.matched, item.id""",
                          [*args, limit, offset]).fetchall()
        if rows:
            total = rows[0][-1]
        else:  # past the end: no row carries the window count
            total = db.execute(f"{ranked} SELECT COUNT(*) FROM ranked", args).fetchone()[0]
        items = [Item(*row[:7], matched=row[7], tier=row[8]) for row in rows]
        return Page(total, offset, limit, self._with_types(items))

    def _browse(self, kind: str, type_filter: str, type_args: list[str], limit: int,
                offset: int) -> Page:
        where = f"WHERE item.kind = ? {type_filter}"
        db = self._db()
        total = db.execute(f"SELECT COUNT(*) FROM item {where}", [kind, *type_args]).fetchone()[0]
        rows = db.execute(
            "SELECT item.id, item.kind, item.key, item.iri, item.name, item.description,"
            f" item.links FROM item {where} ORDER BY item.links DESC, item.name, item.key"
            " LIMIT ? OFFSET ?", [kind, *type_args, limit, offset]).fetchall()
        return Page(total, offset, limit, self._with_types([Item(*row) for row in rows]))

    def _with_types(self, items: list[Item]) -> list[Item]:
        if not items:
            return items
        types = self.asserted_types([item.id for item in items])
        return [Item(i.id, i.kind, i.key, i.iri, i.name, i.description, i.links,
                     types.get(i.id, ()), i.matched, i.tier) for i in items]

    def asserted_types(self, item_ids: Iterable[int]) -> dict[int, tuple[str, ...]]:
        """The types stated for each item."""
        return self.types_of(item_ids, inferred=False)

    def types_of(self, item_ids: Iterable[int],
                 inferred: bool = True) -> dict[int, tuple[str, ...]]:
        """Each item's types, with their super-classes unless ``inferred`` is False."""
        ids = list(item_ids)
        found: dict[int, list[str]] = {}
        only = "" if inferred else "asserted = 1 AND "
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            rows = self._db().execute(
                f"SELECT item, type FROM item_type WHERE {only}item IN"
                f" ({','.join('?' * len(chunk))}) ORDER BY item, type", chunk)
            for item, type_id in rows:
                found.setdefault(item, []).append(type_id)
        return {item: tuple(types) for item, types in found.items()}

    # -- lookups for reconciliation -------------------------------------------------
    def entity(self, iri: str) -> Item | None:
        row = self._db().execute(
            "SELECT id, kind, key, iri, name, description, links FROM item"
            " WHERE kind = 'entity' AND key = ?", (iri,)).fetchone()
        return self._with_types([Item(*row)])[0] if row else None

    def entities(self, item_ids: Iterable[int]) -> dict[int, Item]:
        ids = sorted(set(item_ids))
        items: list[Item] = []
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            items.extend(Item(*row) for row in self._db().execute(
                "SELECT id, kind, key, iri, name, description, links FROM item"
                f" WHERE id IN ({','.join('?' * len(chunk))})", chunk))
        return {item.id: item for item in self._with_types(items)}

    def labels(self, item_ids: Iterable[int]) -> dict[int, list[tuple[str, bool]]]:
        ids = sorted(set(item_ids))
        found: dict[int, list[tuple[str, bool]]] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            for item, text, alt in self._db().execute(
                    "SELECT item, text, alt FROM label WHERE item IN"
                    f" ({','.join('?' * len(chunk))}) ORDER BY item, alt, text", chunk):
                found.setdefault(item, []).append((text, bool(alt)))
        return found

    def candidates(self, text: str, types: Sequence[str] = (), limit: int = 50,
                   enough: int = 10) -> list[int]:
        """Entities whose names share words (or, failing that, letters) with ``text``.

        The net reconciliation casts, widened step by step until it holds ``enough``
        candidates: names with every word, then names with any word (best BM25 first),
        then names sharing three-letter pieces (so a typo still finds its entity). The
        caller scores what is found.
        """
        type_filter, type_args = _type_filter(types)
        found: list[int] = []
        tokens = words(text)
        steps = []
        if tokens:
            steps.append(("label_fts", all_words_query(tokens)))
            rare = [t for t in tokens if fold(t) not in self._common]
            if len(tokens) > 1 and rare:
                steps.append(("label_fts", any_word_query(rare)))
        grams = trigrams(text)
        if grams:
            steps.append(("label_trigram", trigram_query(grams)))
        every_word = False
        for step, (table, match) in enumerate(steps):
            if table == "label_trigram" and every_word:
                break  # a name with every word was found: not a typo to rescue
            # The type filter sits inside the ranked query, so a rare type still gets its
            # best matches rather than none of the overall best.
            rows = self._db().execute(f"""
                SELECT hit.item FROM (
                  SELECT item.id AS item, item.links AS links, bm25({table}) AS score
                  FROM {table} JOIN label ON label.id = {table}.rowid
                  JOIN item ON item.id = label.item
                  WHERE {table} MATCH ? AND item.kind = 'entity' {type_filter}
                  ORDER BY score LIMIT ?) AS hit
                GROUP BY hit.item ORDER BY MIN(hit.score), MAX(hit.links) DESC LIMIT ?""",
                [match, *type_args, limit * 8, limit]).fetchall()
            every_word = every_word or (step == 0 and bool(rows) and table == "label_fts")
            for (item_id,) in rows:
                if item_id not in found:
                    found.append(item_id)
            if len(found) >= min(enough, limit):
                break
        return found[:limit]

    def entities_by_iri(self, iris: Iterable[str]) -> dict[str, Item]:
        """The entities among ``iris`` (with their asserted types), by IRI."""
        wanted = sorted(set(iris))
        items: list[Item] = []
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            items.extend(Item(*row) for row in self._db().execute(
                "SELECT id, kind, key, iri, name, description, links FROM item"
                f" WHERE kind = 'entity' AND key IN ({','.join('?' * len(chunk))})", chunk))
        return {item.key: item for item in self._with_types(items)}

    def close(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None


def _type_filter(types: Sequence[str]) -> tuple[str, list[str]]:
    if not types:
        return "", []
    marks = ",".join("?" * len(types))
    return (f"AND EXISTS (SELECT 1 FROM item_type WHERE item_type.item = item.id"
            f" AND item_type.type IN ({marks}))", list(types))
