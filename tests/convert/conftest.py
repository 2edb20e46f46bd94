"""Make ``tests.convert.fixtures`` importable however pytest is started.

The repository root is put on ``sys.path`` so the fixture builder can be imported as
``tests.convert.fixtures`` by these tests and by other test folders alike.
"""

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)


def pytest_configure(config) -> None:
    config.addinivalue_line(
        "markers",
        "reference: compares with llama.cpp's reference converter or transformers "
        "(needs torch==2.13.0, transformers and the llama-cpp-python 0.3.36 sdist from PyPI)",
    )
