"""Video Indexer's search query syntax over label names, with no I/O.

Syntax (Video Indexer's, which follows Azure Search's simple syntax):

- ``dog cat`` and ``dog OR cat`` (also ``dog | cat``): either.
- ``dog +cat``, ``dog + cat``, ``+dog +cat`` and ``dog AND cat``: both. AND binds
  tighter than OR: ``a + b OR c`` is (a and b) or c.
- ``-cat`` and ``NOT cat``: without cat, whatever else the query says:
  ``car bicycle -person`` is (car or bicycle) and not person. A query of only
  exclusions matches every video without them.
- ``"sports car"``: the words in this order, next to each other.
- ``bicy*``: a word starting with "bicy".

Matching ignores case and, in Latin, Greek and Cyrillic script, accents ("velo"
finds "vélo"); it is by whole words, except in scripts written without spaces
(Chinese, Japanese, Thai...), where any substring matches. The service calls
`parse_query` once, then `Query.match` per video with that video's label names
(in every language it searches); `Atom.prefilter` gives a substring the normalized
name must contain, for a cheap SQL pre-selection.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

MAX_QUERY_LENGTH = 1000

_WORD = re.compile(r"\w+")
# Scripts written without spaces between words (Hangul is spaced, so not here).
_UNSPACED = re.compile(
    "["
    "\u0e00-\u0eff"  # Thai, Lao
    "\u1000-\u109f"  # Myanmar
    "\u1780-\u17ff"  # Khmer
    "\u2e80-\u2fff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # CJK ideographs and radicals
    "\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f"  # kana
    "\u3100-\u312f"  # bopomofo
    "]"
)


class QueryError(ValueError):
    pass


def _strips_accents(ch: str) -> bool:
    o = ord(ch)
    return o < 0x0530 or 0x1E00 <= o <= 0x1FFF


def _normalize_mapped(text: str) -> tuple[str, list[int]]:
    """Normalized text and, for each of its characters, the index of the original
    character it came from (so a match can be cut out of the original)."""
    out: list[str] = []
    where: list[int] = []
    base_strips = False
    for i, ch in enumerate(text):
        if unicodedata.category(ch) == "Mn":
            if base_strips:
                continue
            piece = ch
        else:
            base_strips = _strips_accents(ch)
            if base_strips:
                piece = "".join(c for c in unicodedata.normalize("NFKD", ch) if unicodedata.category(c) != "Mn")
            else:
                piece = unicodedata.normalize("NFKC", ch)
            piece = piece.casefold()
        for c in piece:
            out.append(c)
            where.append(i)
    return "".join(out), where


def normalize(text: str) -> str:
    """Case- and (Latin/Greek/Cyrillic) accent-folded text, as stored for search."""
    return _normalize_mapped(text)[0]


@dataclass(frozen=True)
class Atom:
    """One searched word, phrase or prefix."""

    raw: str
    words: tuple[str, ...]
    prefix: bool = False
    #: In a script without spaces: matched as a substring, not by words.
    substring: bool = False

    @classmethod
    def make(cls, raw: str, *, prefix: bool = False) -> Atom | None:
        norm = normalize(raw)
        if _UNSPACED.search(norm):
            squeezed = "".join(_WORD.findall(norm))
            return cls(raw, (squeezed,), substring=True) if squeezed else None
        words = tuple(_WORD.findall(norm))
        return cls(raw, words, prefix=prefix) if words else None

    def prefilter(self) -> str:
        """A string that `normalize(text)` contains whenever this atom matches text."""
        return max(self.words, key=len)

    def find(self, text: str) -> str | None:
        """The part of `text` this atom matches (its exact spelling there), or None."""
        norm, where = _normalize_mapped(text)
        if self.substring:
            squeezed = []
            squeezed_where = []
            for m in _WORD.finditer(norm):
                for k in range(m.start(), m.end()):
                    squeezed.append(norm[k])
                    squeezed_where.append(where[k])
            joined = "".join(squeezed)
            at = joined.find(self.words[0])
            if at < 0:
                return None
            end = at + len(self.words[0]) - 1
            return text[squeezed_where[at] : squeezed_where[end] + 1]
        tokens = list(_WORD.finditer(norm))
        n = len(self.words)
        for s in range(len(tokens) - n + 1):
            window = tokens[s : s + n]
            if all(t.group() == w for t, w in zip(window[:-1], self.words[:-1])):
                last, want = window[-1].group(), self.words[-1]
                if last == want or (self.prefix and last.startswith(want)):
                    return text[where[window[0].start()] : where[window[-1].end() - 1] + 1]
        return None


@dataclass(frozen=True)
class Hit:
    """A label name that matched one atom of the query."""

    key: object
    text: str
    exact_text: str


@dataclass
class Query:
    #: Alternatives, each a list of atoms that must all match (OR of ANDs).
    clauses: list[list[Atom]] = field(default_factory=list)
    #: Atoms no matching video may have.
    excluded: list[Atom] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.clauses and not self.excluded

    def atoms(self) -> list[Atom]:
        seen: dict[Atom, None] = {}
        for clause in self.clauses:
            seen.update(dict.fromkeys(clause))
        seen.update(dict.fromkeys(self.excluded))
        return list(seen)

    def match(self, names: Iterable[tuple[object, str]]) -> list[Hit] | None:
        """Whether a video with these label names (`(key, text)` pairs, `key` being
        anything the caller wants back) matches; None if not, else the hits that
        make it match (empty for a query of only exclusions, or an empty query)."""
        names = list(names)
        found: dict[Atom, list[Hit]] = {}
        for atom in self.atoms():
            hits = []
            for key, text in names:
                exact = atom.find(text)
                if exact is not None:
                    hits.append(Hit(key, text, exact))
            found[atom] = hits
        if any(found[a] for a in self.excluded):
            return None
        if not self.clauses:
            return []
        satisfied = [c for c in self.clauses if all(found[a] for a in c)]
        if not satisfied:
            return None
        hits: dict[tuple[object, str], Hit] = {}
        for clause in satisfied:
            for atom in clause:
                for hit in found[atom]:
                    hits.setdefault((hit.key, hit.exact_text), hit)
        return list(hits.values())


_TOKEN = re.compile(r'\s*(?:(?P<sign>[+\-]?)"(?P<phrase>[^"]*)"?|(?P<word>[^\s"]+))')


def parse_query(query: str) -> Query:
    """Parses Video Indexer's query syntax (see the module docstring). Never fails on
    odd input -- an unclosed quote runs to the end, stray operators are ignored --
    except for a query longer than MAX_QUERY_LENGTH."""
    if len(query) > MAX_QUERY_LENGTH:
        raise QueryError(f"query is longer than {MAX_QUERY_LENGTH} characters")
    result = Query()
    current: list[Atom] = []
    join_next = False  # an AND / standalone + joins the next atom to `current`
    negate_next = False  # a NOT excludes the next atom

    def close() -> None:
        nonlocal current
        if current:
            result.clauses.append(current)
        current = []

    pos = 0
    while pos < len(query):
        m = _TOKEN.match(query, pos)
        if m is None or m.end() == pos:
            break
        pos = m.end()
        if m.group("phrase") is not None:
            sign, text, prefix = m.group("sign"), m.group("phrase"), False
        else:
            word = m.group("word")
            if word in ("OR", "|"):
                close()
                join_next = negate_next = False
                continue
            if word in ("AND", "+", "&&"):
                join_next = True
                continue
            if word in ("NOT", "-", "!"):
                negate_next = True
                continue
            sign = word[0] if word[0] in "+-" else ""
            text = word[1:] if sign else word
            prefix = text.endswith("*")
            text = text.rstrip("*")
        atom = Atom.make(text, prefix=prefix)
        if atom is None:
            continue
        if sign == "-" or negate_next:
            result.excluded.append(atom)
        elif sign == "+" or join_next:
            current.append(atom)
        else:
            close()
            current.append(atom)
        join_next = negate_next = False
    close()
    return result
