#!/usr/bin/env python3
"""List the labels the default models can emit that have no name in a language yet.

For curating ``tools/translations/curated/<table>.tsv``: one line per label synset without a
name in the committed ``translations.json``, as ``synset<TAB>English name<TAB>WordNet gloss`` (the
gloss pins the sense). Usage: ``python tools/list_untranslated.py fr`` (a names table or a
locale code such as ``fr-FR``); ``--tsv`` prints rows ready to complete (synset, english, empty
name, empty note).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src" / "videolabels" / "vocabulary" / "data"
DATA_NOUN = Path("/usr/share/wordnet/data.noun")


def glosses(synsets: set[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    if not DATA_NOUN.exists():
        return out
    with open(DATA_NOUN, encoding="utf-8") as f:
        for line in f:
            if line.startswith("  "):
                continue
            sid = line.split(" ", 1)[0] + "-n"
            if sid in synsets and " | " in line:
                out[sid] = line.split(" | ", 1)[1].strip()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("language", help="names table (fr, zh-Hans, ar) or locale code (fr-FR, ar-EG)")
    ap.add_argument("--tsv", action="store_true", help="print curated-file rows to complete")
    args = ap.parse_args(argv)
    vocab = json.loads((DATA / "vocabulary.json").read_text(encoding="utf-8"))
    table_doc = json.loads((DATA / "translations.json").read_text(encoding="utf-8"))
    tables = {x["code"].casefold(): x["table"] for x in table_doc["languages"]}
    tables.update({x["table"].casefold(): x["table"] for x in table_doc["languages"]})
    table = tables.get(args.language.casefold())
    if table is None:
        print(f"unknown language {args.language!r}", file=sys.stderr)
        return 2
    english: dict[str, str] = {}
    for label in vocab["labels"].values():
        if label.get("synset"):
            english.setdefault(label["synset"], label["name"])
    missing = sorted(s for s in english if table not in table_doc["names"].get(s, {}))
    gloss = glosses(set(missing))
    for sid in missing:
        if args.tsv:
            print(f"{sid}\t{english[sid]}\t\t")
        else:
            print(f"{sid}\t{english[sid]}\t{gloss.get(sid, '')}")
    print(f"{len(missing)} of {len(english)} label synsets have no {table} name", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
