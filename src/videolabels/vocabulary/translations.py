"""Label names in other languages, read from the packaged ``data/translations.json``.

The table is generated offline by ``tools/build_translations.py`` from open, synset-keyed data
(Open Multilingual Wordnet, CLDR, CC-CEDICT) plus names the project curates; nothing is
translated at run time, so lookups are dictionary reads. Names are keyed by WordNet 3.0 noun
synset rather than by English word so that "dog" the animal never becomes "andiron" (also
"dog" in English). Locales that read the same names (all ``ar-*``, ``pt-BR``/``pt-PT``...)
share one names table, which keeps the file small.

A label without a name in the requested language keeps its English name; ``name`` says
whether it was translated so callers can report coverage honestly.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Iterable, Mapping

DATA_PACKAGE = "videolabels.vocabulary"
DATA_FILE = "data/translations.json"
FORMAT_VERSION = 1
ENGLISH_TABLE = "en"

# Codes people and older APIs use for locales we have under another code. Keys are casefolded.
_ALIASES: dict[str, str] = {
    "iw": "he-IL", "iw-il": "he-IL", "in": "id-ID", "in-id": "id-ID", "ji": "yi",
    "zh": "zh-Hans", "zh-cn": "zh-Hans", "zh-sg": "zh-Hans", "zh-hans-cn": "zh-Hans", "zh-hans-sg": "zh-Hans",
    "zh-chs": "zh-Hans", "zh-tw": "zh-Hant", "zh-mo": "zh-Hant", "zh-hant-tw": "zh-Hant", "zh-cht": "zh-Hant",
    "zh-hant-hk": "zh-HK", "yue": "zh-HK", "yue-hk": "zh-HK",
    "sr": "sr-Cyrl-RS", "sr-rs": "sr-Cyrl-RS", "sr-cyrl": "sr-Cyrl-RS", "sr-latn": "sr-Latn-RS",
    "bs": "bs-Latn", "bs-ba": "bs-Latn", "bs-latn-ba": "bs-Latn",
    "no": "nb-NO", "no-no": "nb-NO", "nb": "nb-NO", "nn": "nn-NO",
    "tl": "fil-PH", "tl-ph": "fil-PH", "fil": "fil-PH",
    "en": "en-US", "es": "es-ES", "fr": "fr-FR", "pt": "pt-BR", "ar": "ar-SA", "de": "de-DE",
    "ht": "fr-HT", "ht-ht": "fr-HT", "fj": "en-FJ", "fj-fj": "en-FJ", "sm": "en-WS", "sm-ws": "en-WS",
    "az": "az-Latn-AZ", "az-az": "az-Latn-AZ", "uz": "uz-Latn-UZ", "uz-uz": "uz-Latn-UZ",
    "bn": "bn-BD",
}


class UnknownLanguageError(ValueError):
    """A language code no names table answers to; ``suggestions`` are close supported codes."""

    def __init__(self, code: str, suggestions: list[str]) -> None:
        self.code = code
        self.suggestions = suggestions
        hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"Unsupported language code {code!r}{hint}")


@dataclass(frozen=True)
class Language:
    """One supported locale (a row of ``tools/translations/languages.tsv``)."""

    code: str
    name: str
    native_name: str
    table: str
    is_right_to_left: bool
    video_indexer: bool
    script: str

    @property
    def is_english(self) -> bool:
        return self.table == ENGLISH_TABLE


class Translations:
    """Synset-keyed label names for every supported locale; see the module docstring."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        if data.get("format") != FORMAT_VERSION:
            raise ValueError(f"translations.json format {data.get('format')!r}, expected {FORMAT_VERSION}")
        self._languages = [
            Language(
                code=x["code"],
                name=x["name"],
                native_name=x["nativeName"],
                table=x["table"],
                is_right_to_left=bool(x["isRightToLeft"]),
                video_indexer=bool(x["videoIndexer"]),
                script=x["script"],
            )
            for x in data["languages"]
        ]
        self._by_code = {lang.code.casefold(): lang for lang in self._languages}
        self._sources: dict[str, dict[str, str]] = dict(data["sources"])
        self._names: dict[str, dict[str, list[str]]] = data["names"]

    @classmethod
    def load(cls) -> "Translations":
        """The packaged table, parsed once per process (it is a couple of MB)."""
        return _load_packaged()

    # -- languages -------------------------------------------------------------------------

    def languages(self) -> list[dict[str, Any]]:
        """Items shaped like Video Indexer's Get Supported Languages response.

        Labels are produced in English, so English locales are the source languages; nothing is
        auto-detected (there is no speech in the labels pipeline).
        """
        return [
            {
                "name": lang.name,
                "languageCode": lang.code,
                "isRightToLeft": lang.is_right_to_left,
                "isSourceLanguage": lang.is_english,
                "isAutoDetect": False,
            }
            for lang in self._languages
        ]

    def language(self, code: str) -> Language:
        """Full row for a (possibly non-canonical) code."""
        return self._by_code[self.resolve(code).casefold()]

    def resolve(self, code: str) -> str:
        """Canonical locale code for ``code``: case, '_' separators, aliases and bare languages.

        An unknown region of a known language ("he-IS") is an error, not a silent fallback: the
        caller asked for something specific and should learn what exists.
        """
        raw = code
        key = (code or "").strip().replace("_", "-").casefold()
        if key in self._by_code:
            return self._by_code[key].code
        if key in _ALIASES and _ALIASES[key].casefold() in self._by_code:
            return _ALIASES[key]
        if key and "-" not in key:
            same = [lang.code for lang in self._languages if lang.code.casefold().split("-")[0] == key]
            if same:
                return same[0]
        raise UnknownLanguageError(raw, self._suggest(key))

    def _suggest(self, key: str) -> list[str]:
        lang = re.split(r"[-]", key)[0] if key else ""
        same = [x.code for x in self._languages if x.code.casefold().split("-")[0] == lang]
        if lang in ("iw", "in", "tl", "no", "yue"):
            target = _ALIASES[lang].casefold().split("-")[0]
            same = [x.code for x in self._languages if x.code.casefold().split("-")[0] == target]
        codes = {x.code.casefold(): x.code for x in self._languages}
        close = [codes[c] for c in difflib.get_close_matches(key, list(codes), n=5, cutoff=0.6)]
        out: list[str] = []
        for c in close[:1] + same + close[1:]:
            if c not in out:
                out.append(c)
        return out[:5]

    # -- names -----------------------------------------------------------------------------

    def name(self, synset: str | None, lang: str, english: str) -> tuple[str, bool]:
        """(display name in ``lang``, translated?); English when the table has no name."""
        language = self.language(lang)
        if language.is_english:
            return english, True
        entry = self._names.get(synset or "", {}).get(language.table)
        if entry is None:
            return english, False
        return entry[0], True

    def entry(self, synset: str, lang: str) -> tuple[str, str] | None:
        """(name, source id) as stored, or None; for attribution and debugging."""
        language = self.language(lang)
        entry = self._names.get(synset, {}).get(language.table)
        return (entry[0], entry[1]) if entry else None

    def sources(self) -> dict[str, dict[str, str]]:
        """Source id -> {name, licence, url, citation?}; licences in data/ATTRIBUTIONS.txt."""
        return {k: dict(v) for k, v in self._sources.items()}

    def coverage(self, synsets: Iterable[str | None]) -> dict[str, float]:
        """Share of ``synsets`` with a name, per locale code (English locales: 1.0).

        An empty input counts as fully covered: there is nothing left untranslated.
        """
        wanted = list(dict.fromkeys(s for s in synsets))
        per_table: dict[str, float] = {}
        out: dict[str, float] = {}
        for lang in self._languages:
            if lang.is_english or not wanted:
                out[lang.code] = 1.0
                continue
            if lang.table not in per_table:
                hits = sum(1 for s in wanted if s and lang.table in self._names.get(s, {}))
                per_table[lang.table] = hits / len(wanted)
            out[lang.code] = per_table[lang.table]
        return out


@lru_cache(maxsize=1)
def _load_packaged() -> Translations:
    text = resources.files(DATA_PACKAGE).joinpath(DATA_FILE).read_text(encoding="utf-8")
    return Translations(json.loads(text))


__all__ = ["Language", "Translations", "UnknownLanguageError"]
