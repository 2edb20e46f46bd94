"""A small safetensors reader: JSON header plus numpy memmap, no torch.

Why our own: the ``safetensors`` package hands out whole tensors (through torch or numpy
copies), while a converter wants to look at every header first (to check shapes before
writing anything) and then read one tensor at a time, in row chunks, so that peak memory
stays near one tensor rather than the whole model. The format is simple enough to read
directly: an 8-byte little-endian header length, a JSON header mapping each tensor name to
``{"dtype", "shape", "data_offsets": [begin, end]}`` (offsets relative to the end of the
header), then the raw little-endian data.
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from octopus_cli.errors import ConversionError

# Raw dtypes we can turn into float32. bf16 has no numpy dtype: it is read as uint16 bits.
_DTYPES: dict[str, np.dtype] = {
    "BF16": np.dtype("<u2"),
    "F16": np.dtype("<f2"),
    "F32": np.dtype("<f4"),
}
_MAX_HEADER = 100 * 1024 * 1024  # the reference implementation's own limit
INDEX_FILE = "model.safetensors.index.json"
SINGLE_FILE = "model.safetensors"


@dataclass(frozen=True)
class TensorEntry:
    """Where one tensor lives: file, dtype, shape and absolute byte range."""

    name: str
    path: Path
    dtype: str
    shape: tuple[int, ...]
    start: int  # absolute offset of the first byte in the file
    nbytes: int

    @property
    def n_elements(self) -> int:
        return math.prod(self.shape)

    def rows(self) -> int:
        """Length of the first axis (1 for a scalar), the unit of chunked reads."""
        return self.shape[0] if self.shape else 1

    def read_f32(self, row_start: int = 0, row_stop: int | None = None) -> np.ndarray:
        """Rows ``[row_start, row_stop)`` as a fresh float32 array (bf16 widened by bit shift)."""
        raw_dtype = _DTYPES[self.dtype]
        n_rows = self.rows()
        row_stop = n_rows if row_stop is None else min(row_stop, n_rows)
        row_shape = self.shape[1:]
        row_elems = math.prod(row_shape)
        count = (row_stop - row_start) * row_elems
        out_shape = (row_stop - row_start, *row_shape) if self.shape else ()
        if count == 0:
            return np.zeros(out_shape, dtype=np.float32)
        offset = self.start + row_start * row_elems * raw_dtype.itemsize
        # The mapping covers only these rows and dies with this call, so the pages of a
        # large tensor do not stay resident once the chunk has been converted.
        raw = np.asarray(np.memmap(self.path, raw_dtype, "r", offset=offset, shape=(count,)))
        if self.dtype == "BF16":
            # bfloat16 is the top half of a float32: shift the bits up, reinterpret.
            data = (raw.astype(np.uint32) << 16).view(np.float32)
        else:
            data = np.array(raw, dtype=np.float32)  # always a private copy
        return data.reshape(out_shape)


def read_header(path: Path) -> dict[str, TensorEntry]:
    """Parse and validate one safetensors file's header; the data is not touched."""
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            head = f.read(8)
            if len(head) < 8:
                raise ConversionError(f"{path.name} is not a safetensors file (too short)")
            (header_len,) = struct.unpack("<Q", head)
            if header_len > _MAX_HEADER or 8 + header_len > size:
                raise ConversionError(
                    f"{path.name} is not a valid safetensors file (header length {header_len})",
                    hint="the file may be truncated or not safetensors; download it again",
                )
            raw = f.read(header_len)
    except OSError as exc:
        raise ConversionError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConversionError(
            f"{path.name}: safetensors header is not valid JSON ({exc})"
        ) from None
    if not isinstance(header, dict):
        raise ConversionError(f"{path.name}: safetensors header is not a JSON object")
    data_start = 8 + header_len
    entries: dict[str, TensorEntry] = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        entries[name] = _entry(path, name, info, data_start, size)
    return entries


def _entry(path: Path, name: str, info: object, data_start: int, size: int) -> TensorEntry:
    where = f"{path.name}: tensor {name!r}"
    if not isinstance(info, dict):
        raise ConversionError(f"{where}: malformed header entry")
    dtype = info.get("dtype")
    shape = info.get("shape")
    offsets = info.get("data_offsets")
    if dtype not in _DTYPES:
        raise ConversionError(
            f"{where} has dtype {dtype!r}; supported are {', '.join(_DTYPES)}",
            hint="quantized or integer checkpoints (GPTQ, AWQ, int8) must be dequantized first",
        )
    if (
        not isinstance(shape, list)
        or not all(isinstance(d, int) and d >= 0 for d in shape)
        or not isinstance(offsets, list)
        or len(offsets) != 2
        or not all(isinstance(o, int) for o in offsets)
    ):
        raise ConversionError(f"{where}: malformed shape or data_offsets")
    begin, end = offsets
    nbytes = math.prod(shape) * _DTYPES[dtype].itemsize
    if end - begin != nbytes or begin < 0 or data_start + end > size:
        raise ConversionError(
            f"{where}: byte range {begin}..{end} does not fit its shape {shape} or the file",
            hint="the file is probably truncated; download it again",
        )
    return TensorEntry(name, path, dtype, tuple(shape), data_start + begin, nbytes)


def index_checkpoint(directory: Path) -> dict[str, TensorEntry]:
    """All tensors of a checkpoint: one ``model.safetensors`` or an index and its shards."""
    index = directory / INDEX_FILE
    if index.is_file():
        try:
            weight_map = json.loads(index.read_text(encoding="utf-8")).get("weight_map")
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, AttributeError) as exc:
            raise ConversionError(f"cannot read {INDEX_FILE}: {exc}") from None
        if not isinstance(weight_map, dict) or not weight_map:
            raise ConversionError(f"{INDEX_FILE} has no weight_map")
        shards = sorted(set(weight_map.values()))
        missing = [s for s in shards if not (directory / s).is_file()]
        if missing:
            raise ConversionError(
                f"missing checkpoint shard(s): {', '.join(missing)}",
                hint="download every file listed in model.safetensors.index.json",
            )
        entries: dict[str, TensorEntry] = {}
        for shard in shards:
            for name, entry in read_header(directory / shard).items():
                if name in entries:
                    raise ConversionError(f"tensor {name!r} appears in more than one shard")
                entries[name] = entry
        listed, found = set(weight_map), set(entries)
        if listed != found:
            lost = sorted(listed - found)[:3]
            extra = sorted(found - listed)[:3]
            raise ConversionError(
                f"{INDEX_FILE} does not match the shards (missing {lost}, unlisted {extra})",
                hint="a shard is probably incomplete or from another checkpoint",
            )
        misplaced = [n for n, e in entries.items() if e.path.name != weight_map[n]]
        if misplaced:
            raise ConversionError(f"tensor {misplaced[0]!r} is not in the shard the index names")
        return entries
    single = directory / SINGLE_FILE
    if single.is_file():
        return read_header(single)
    if any(directory.glob("*.bin")) or any(directory.glob("*.pt")):
        raise ConversionError(
            f"{directory} has PyTorch pickle weights but no safetensors",
            hint="only safetensors checkpoints are supported; save with safe_serialization=True",
        )
    raise ConversionError(
        f"no {SINGLE_FILE} or {INDEX_FILE} in {directory}",
        hint="point SOURCE at a Hugging Face checkpoint directory",
    )


def iter_row_chunks(entry: TensorEntry, max_bytes: int = 64 * 1024 * 1024) -> Iterator[np.ndarray]:
    """The tensor as float32 row blocks of at most about ``max_bytes`` each."""
    n_rows = entry.rows()
    row_bytes = max(1, math.prod(entry.shape[1:]) * 4)
    step = max(1, max_bytes // row_bytes)
    for start in range(0, n_rows, step):
        yield entry.read_f32(start, start + step)


def write_safetensors(path: Path, tensors: Mapping[str, np.ndarray], dtype: str = "F32") -> None:
    """Write float arrays as a safetensors file (training artifacts, averages, test fixtures)."""
    shapes = {name: tuple(array.shape) for name, array in tensors.items()}
    write_safetensors_streaming(path, shapes, lambda name: iter([tensors[name]]), dtype)


def write_safetensors_streaming(
    path: Path,
    shapes: Mapping[str, tuple[int, ...]],
    blocks: Callable[[str], Iterator[np.ndarray]],
    dtype: str = "F32",
) -> None:
    """Write a safetensors file whose tensors arrive as row blocks, one tensor at a time.

    ``dtype`` is the stored type: F32, F16 or BF16 (rounded to nearest even from float32,
    as torch does). Streaming lets the benchmark write a 5 GB checkpoint in little memory.
    """
    itemsize = _DTYPES[dtype].itemsize
    header: dict[str, object] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name, shape in shapes.items():
        nbytes = math.prod(shape) * itemsize
        header[name] = {
            "dtype": dtype,
            "shape": list(shape),
            "data_offsets": [offset, offset + nbytes],
        }
        offset += nbytes
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * (-len(raw) % 8)
    with path.open("wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for name, shape in shapes.items():
            written = 0
            for block in blocks(name):
                data = to_dtype_bytes(block, dtype)
                f.write(data)
                written += len(data)
            if written != math.prod(shape) * itemsize:
                raise ValueError(f"{name}: wrote {written} bytes for shape {shape}")


def to_dtype_bytes(array: np.ndarray, dtype: str) -> bytes:
    """float32 data encoded as safetensors ``dtype`` bytes (little-endian)."""
    array = np.ascontiguousarray(array, dtype=np.float32)
    if dtype == "F32":
        return array.astype("<f4").tobytes()
    if dtype == "F16":
        return array.astype("<f2").tobytes()
    if dtype == "BF16":
        bits = array.view(np.uint32)
        # round to nearest even, as torch does when casting to bfloat16
        rounded = bits + 0x7FFF + ((bits >> 16) & 1)
        return (rounded >> 16).astype("<u2").tobytes()
    raise ValueError(f"unsupported dtype {dtype}")
