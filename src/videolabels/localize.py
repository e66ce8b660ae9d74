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
    return _translations().resolve(code)


def supported_languages() -> list[dict]:
    """Video Indexer's Get Supported Languages items, plus the share of labels translated."""
    return _translations().languages()


def label_name(english: str, language: str) -> tuple[str, bool]:
    """(name in `language`, whether a translation existed) for an English label name."""
    code = resolve_language(language)
    return _translations().name(_synsets_by_name().get(english), code, english)


def translate_index(doc: dict, language: str) -> dict:
    """A copy of `doc` with label names and `language` fields in `language`."""
    code = resolve_language(language)
    out = copy.deepcopy(doc)
    missing = 0

    def rename(label: dict) -> None:
        nonlocal missing
        english = label.get("name", "")
        name, found = _translations().name(_synsets_by_name().get(english), code, english)
        label["name"] = name
        if not found:
            missing += 1

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
        english = label.get("name", "")
        label["name"] = _translations().name(_synsets_by_name().get(english), code, english)[0]
    return out


__all__ = ["UnknownLanguageError", "label_name", "resolve_language", "supported_languages", "translate_index"]
