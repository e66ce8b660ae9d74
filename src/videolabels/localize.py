"""Label names in the reader's language, applied to a finished index document.

Documents are produced (and stored by the service) in English; translation happens on
the way out, looked up by each label's WordNet synset so that the sense is right
("dog" the animal, never "andiron"). Names with no translation stay English and are
counted, never dropped.
"""

from __future__ import annotations

import copy
from functools import lru_cache

from .vocabulary import Vocabulary
from .vocabulary.translations import Translations, UnknownLanguageError


@lru_cache(maxsize=1)
def _translations() -> Translations:
    return Translations.load()


@lru_cache(maxsize=1)
def _synsets_by_name() -> dict[str, str | None]:
    return {label.name: label.synset for label in Vocabulary.load().labels.values()}


def resolve_language(code: str) -> str:
    """Canonical locale code for `code`; UnknownLanguageError (with suggestions) otherwise."""
    if code == "en-US":  # the default: no need to load the name table (~25 MB) to know it
        return code
    return _translations().resolve(code)


def supported_languages() -> list[dict]:
    """Video Indexer's Get Supported Languages items, plus the share of labels translated.

    Each item has Get Supported Languages' ``name``, ``languageCode``, ``isRightToLeft``,
    ``isSourceLanguage`` and ``isAutoDetect``, plus ``labelsTranslated``: the share (0..1) of
    the labels the default models can emit that have a name in the language (the others are
    returned in English). Labels with no WordNet synset count as untranslated.
    """
    shares = _label_shares()
    return [{**item, "labelsTranslated": shares[item["languageCode"]]} for item in _translations().languages()]


@lru_cache(maxsize=1)
def _label_shares() -> dict[str, float]:
    """Locale code -> share of the vocabulary's labels with a name (computed once per process)."""
    tr = _translations()
    synsets = list(_synsets_by_name().values())  # one per label; None for composed labels
    out: dict[str, float] = {}
    for item in tr.languages():
        code = item["languageCode"]
        language = tr.language(code)
        if language.is_english or not synsets:
            out[code] = 1.0
            continue
        named = sum(1 for synset in synsets if synset is not None and tr.entry(synset, code) is not None)
        out[code] = round(named / len(synsets), 4)
    return out


def label_name(english: str, language: str) -> tuple[str, bool]:
    """(name in `language`, whether a translation existed) for an English label name."""
    code = resolve_language(language)
    return _translations().name(_synsets_by_name().get(english), code, english)


def translate_index(doc: dict, language: str) -> dict:
    """A copy of `doc` with label names and `language` fields in `language`."""
    code = resolve_language(language)
    out = copy.deepcopy(doc)

    def rename(label: dict) -> None:
        # A name with no translation stays English (`videolabels languages` counts them).
        english = label.get("name", "")
        label["name"] = _translations().name(_synsets_by_name().get(english), code, english)[0]
        if label.get("parents"):  # --label-detail: the general labels, by name too
            label["parents"] = [
                _translations().name(_synsets_by_name().get(parent), code, parent)[0] for parent in label["parents"]
            ]

    for video in out.get("videos", []):
        video["language"] = code
        video["languages"] = [code]
        insights = video.get("insights") or {}
        insights["language"] = code
        insights["languages"] = [code]
        for label in insights.get("labels", []):
            rename(label)
            label["language"] = code
    for label in (out.get("summarizedInsights") or {}).get("labels", []):
        rename(label)
    return out


__all__ = ["UnknownLanguageError", "label_name", "resolve_language", "supported_languages", "translate_index"]
