"""How search text is cut into words and turned into SQLite FTS5 queries.

The index folds case and accents with FTS5's own ``unicode61 remove_diacritics 2``
tokenizer; this module only has to split a user's query the way that tokenizer splits
a label (runs of letters and digits), so that a query and the labels it should find
agree on word boundaries. Every word is passed to FTS5 as a quoted string, so no input
can inject FTS5 query syntax (``NEAR``, ``-``, column filters, ``"``).
"""

from __future__ import annotations

import re
import unicodedata

#: FTS5 tokenizer of every label table: case- and accent-insensitive ("sao" finds São).
TOKENIZER = "unicode61 remove_diacritics 2"

# unicode61 keeps letters (L*), numbers (N*) and private-use characters together and
# treats everything else as a separator; ``[^\W_]`` is Python's letters-and-digits.
_WORD = re.compile(r"[^\W_]+")


def words(text: str) -> list[str]:
    """The words of ``text`` as the FTS5 tokenizer sees them (before folding).

    NFKC first, so a decomposed "São" (``a`` + combining tilde) is one word, as it is
    for the tokenizer, rather than two.
    """
    return _WORD.findall(unicodedata.normalize("NFKC", text))


def fold(text: str) -> str:
    """Case- and accent-free form, words separated by one space: for comparing names.

    Matches what the tokenizer does to each word (remove diacritics, case-fold), so a
    label that FTS5 reports as an exact match also compares equal here.
    """
    if text.isascii():  # most names: nothing to decompose
        return " ".join(_WORD.findall(text.lower()))
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_WORD.findall(stripped.casefold()))


def _quoted(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def words_query(tokens: list[str]) -> str:
    """Labels containing every word, each possibly unfinished (as-you-type, any order)."""
    return " ".join(_quoted(token) + "*" for token in tokens)


def all_words_query(tokens: list[str]) -> str:
    """Labels containing every word, as whole words (a name as a spreadsheet has it)."""
    return " AND ".join(_quoted(token) for token in tokens)


def any_word_query(tokens: list[str]) -> str:
    """Labels containing at least one of the words: the wider net of reconciliation."""
    return " OR ".join(_quoted(token) for token in tokens)


def trigrams(text: str) -> list[str]:
    """Three-letter pieces of the folded text, for typo-tolerant candidate retrieval."""
    folded = fold(text)
    grams = {folded[i:i + 3] for i in range(len(folded) - 2)}
    return sorted(g for g in grams if " " not in g)


def trigram_query(grams: list[str]) -> str:
    return " OR ".join(_quoted(gram) for gram in grams)
