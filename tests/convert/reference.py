"""llama.cpp's reference converter, taken from the llama-cpp-python 0.3.36 source distribution.

Nothing of it is copied into this repository: the sdist is fetched once with
``pip download --no-binary :all: --no-deps llama-cpp-python==0.3.36`` into a cache
directory (``OCTOPUS_TEST_CACHE``, default ``~/.cache/octopus-tests``) and only
``convert_hf_to_gguf.py``, its ``conversion/`` package and ``gguf-py/`` are extracted. The
converter runs in a subprocess with its own gguf-py (it puts it first on ``sys.path``) and
needs torch and transformers, which are test-only dependencies.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import gguf
import numpy as np

VERSION = "0.3.36"
_VENDOR = f"llama_cpp_python-{VERSION}/vendor/llama.cpp/"
_MEMBERS = ("convert_hf_to_gguf.py", "conversion/", "gguf-py/")


def cache_dir() -> Path:
    return Path(os.environ.get("OCTOPUS_TEST_CACHE", Path.home() / ".cache" / "octopus-tests"))


def reference_dir() -> Path:
    """The extracted ``vendor/llama.cpp`` folder, downloading the sdist on first use."""
    root = cache_dir()
    target = root / _VENDOR
    if (target / "convert_hf_to_gguf.py").is_file() and (target / "conversion").is_dir():
        return target
    root.mkdir(parents=True, exist_ok=True)
    sdist = root / f"llama_cpp_python-{VERSION}.tar.gz"
    if not sdist.is_file():
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-binary", ":all:", "--no-deps",
             f"llama-cpp-python=={VERSION}", "-d", str(root)],
            check=True,
            capture_output=True,
        )  # fmt: skip
    with tarfile.open(sdist) as tar:
        wanted = [
            m for m in tar.getmembers()
            if m.name.startswith(_VENDOR) and m.name[len(_VENDOR):].startswith(_MEMBERS)
        ]  # fmt: skip
        tar.extractall(root, members=wanted, filter="data")
    return target


def run_reference(checkpoint: Path, out: Path, outtype: str = "f32") -> Path:
    """Convert ``checkpoint`` with ``convert_hf_to_gguf.py``; raise with its log on failure."""
    script = reference_dir() / "convert_hf_to_gguf.py"
    result = subprocess.run(
        [sys.executable, str(script), str(checkpoint), "--outfile", str(out), "--outtype", outtype],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    if result.returncode != 0:
        raise AssertionError(f"reference converter failed:\n{result.stderr[-4000:]}")
    return out


def read_gguf(
    path: Path,
) -> tuple[dict[str, Any], dict[str, tuple[str, tuple[int, ...], np.ndarray]]]:
    """(metadata key -> value, tensor name -> (type, shape, data)) of a GGUF file."""
    reader = gguf.GGUFReader(path)
    fields = {}
    for key, field in reader.fields.items():
        if key.startswith("GGUF."):
            continue
        fields[key] = field.contents()
    tensors = {
        t.name: (t.tensor_type.name, tuple(int(d) for d in t.shape), np.array(t.data))
        for t in reader.tensors
    }
    return fields, tensors
