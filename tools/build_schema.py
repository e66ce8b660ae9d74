"""Write src/videolabels/insights/schema/video-index.schema.json from the pydantic models.

The schema is generated, not hand-written, so that it cannot drift from the document the
builder serializes through the very same models. Run after changing
``videolabels.insights.models``; ``--check`` exits 1 when the committed file is stale
(tests/test_insights.py makes the same check).

    PYTHONPATH=src python tools/build_schema.py [--check]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from videolabels.insights import SCHEMA_PATH, index_json_schema  # noqa: E402


def render() -> str:
    """The file's exact text: stable key order from the models, two-space indent."""
    return json.dumps(index_json_schema(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the committed schema is out of date")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = SCHEMA_PATH.read_text(encoding="utf-8") if SCHEMA_PATH.exists() else ""
        if current != text:
            print(f"{SCHEMA_PATH} is out of date; run tools/build_schema.py", file=sys.stderr)
            return 1
        return 0
    SCHEMA_PATH.parent.mkdir(parents=True, exist_ok=True)
    SCHEMA_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {SCHEMA_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
