"""The vocabulary generator (tools/build_vocabulary.py), loaded once for the tests that run it."""

from __future__ import annotations

import importlib.util
import sys
from functools import lru_cache
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parent.parent
LABELSETS = REPO.parent / "shared" / "data" / "labelsets"
WORDNET = Path("/usr/share/wordnet")


@lru_cache(maxsize=1)
def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_vocabulary", REPO / "tools" / "build_vocabulary.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up while decorating
    spec.loader.exec_module(module)
    return module


def needs_generator_inputs() -> None:
    """Skip, saying what is missing, where the generator's inputs are not installed."""
    if not (WORDNET / "data.noun").is_file():
        pytest.skip("WordNet 3.0 data files absent (apt-get install wordnet-base)")
    if not (LABELSETS / "imagenet1k_wnids.txt").is_file():
        pytest.skip(f"class lists absent: {LABELSETS}")
