"""Model registry, resolution and pulls, tested against a real loopback HTTP "hub".

The fake hub speaks the URL layout and headers huggingface_hub relies on:
``HEAD/GET {endpoint}/{repo}/resolve/{revision}/{file}`` answered with X-Repo-Commit, ETag
(git sha1 of a regular file) or, for LFS files, a 302 to a second server on another port
(the "CDN", as on the real hub) carrying X-Linked-Etag (the sha256) and X-Linked-Size. The
CDN honours Range requests. Error answers use the hub's X-Error-Code header.
"""

from __future__ import annotations

import hashlib
import json
import socket
import sys
import threading
import types
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

import pytest
from typer.testing import CliRunner

from octopus_cli import models
from octopus_cli.commands.models import models_app
from octopus_cli.errors import ConversionError, HubError, ModelNotFoundError

COMMIT = "0123456789abcdef0123456789abcdef01234567"


@dataclass
class Request:
    server: str  # "hub" or "cdn"
    method: str
    path: str
    range: str | None


@dataclass
class FakeRepo:
    commit: str
    files: dict[str, bytes]
    lfs: set[str]
    advertised_sha256: dict[str, str] = field(default_factory=dict)  # lie about a checksum


@dataclass
class FakeHub:
    """State shared by the hub and CDN servers; tests add repos and read the request log."""

    repos: dict[str, FakeRepo] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    drop_once: dict[str, int] = field(default_factory=dict)  # sha256 -> bytes sent before a drop
    endpoint: str = ""
    cdn: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_repo(
        self, repo_id: str, files: dict[str, bytes], *, lfs: set[str], commit: str = COMMIT
    ) -> FakeRepo:
        repo = FakeRepo(commit=commit, files=files, lfs=lfs)
        self.repos[repo_id] = repo
        return repo

    def blob(self, sha256: str) -> bytes | None:
        for repo in self.repos.values():
            for content in repo.files.values():
                if hashlib.sha256(content).hexdigest() == sha256:
                    return content
        return None

    def resolved(self, method: str | None = None) -> list[str]:
        """Files asked for through /resolve/ (what a pull requested), in order."""
        return [
            r.path.split("/resolve/", 1)[1].split("/", 1)[1]
            for r in self.requests
            if r.server == "hub"
            and "/resolve/" in r.path
            and (method is None or r.method == method)
        ]

    def cdn_gets(self) -> list[Request]:
        return [r for r in self.requests if r.server == "cdn" and r.method == "GET"]


def _git_blob_sha1(content: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def _make_handler(hub: FakeHub, role: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # keep test output clean
            pass

        def do_HEAD(self) -> None:
            self._serve(head=True)

        def do_GET(self) -> None:
            self._serve(head=False)

        def _serve(self, *, head: bool) -> None:
            with hub.lock:
                hub.requests.append(
                    Request(role, self.command, self.path, self.headers.get("Range"))
                )
            if role == "cdn":
                self._serve_blob(head=head)
            else:
                self._serve_resolve(head=head)

        def _reply(self, status: int, headers: dict[str, str], body: bytes = b"") -> None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _serve_resolve(self, *, head: bool) -> None:
            if "/resolve/" not in self.path:
                self._reply(404, {}, b"not found")
                return
            repo_id, rest = self.path.split("/resolve/", 1)
            repo_id = unquote(repo_id.strip("/"))
            revision, _, filename = rest.partition("/")
            revision, filename = unquote(revision), unquote(filename.split("?")[0])
            repo = hub.repos.get(repo_id)
            if repo is None:  # the hub answers 401 for missing (or private) repos
                self._reply(
                    401, {"X-Error-Code": "RepoNotFound"}, b'{"error":"Repository not found"}'
                )
                return
            if revision not in ("main", repo.commit):
                self._reply(404, {"X-Error-Code": "RevisionNotFound"}, b'{"error":"Invalid rev"}')
                return
            commit = {"X-Repo-Commit": repo.commit}
            if filename not in repo.files:
                self._reply(404, {**commit, "X-Error-Code": "EntryNotFound"}, b'{"error":"Entry"}')
                return
            content = repo.files[filename]
            if filename in repo.lfs:
                sha256 = hashlib.sha256(content).hexdigest()
                advertised = repo.advertised_sha256.get(filename, sha256)
                self._reply(
                    302,
                    {
                        **commit,
                        "Location": f"{hub.cdn}/cdn/{sha256}",
                        "X-Linked-Etag": f'"{advertised}"',
                        "X-Linked-Size": str(len(content)),
                        "ETag": f'"{_git_blob_sha1(b"lfs pointer " + sha256.encode())}"',
                    },
                )
                return
            self._reply(200, {**commit, "ETag": f'"{_git_blob_sha1(content)}"'}, content)

        def _serve_blob(self, *, head: bool) -> None:
            sha256 = self.path.split("?")[0].rsplit("/", 1)[-1]
            content = hub.blob(sha256)
            if content is None:
                self._reply(404, {}, b"no such blob")
                return
            start = 0
            requested = self.headers.get("Range")
            if requested and requested.startswith("bytes=") and requested.endswith("-"):
                start = int(requested[len("bytes=") : -1])
            with hub.lock:
                drop_after = None if head else hub.drop_once.pop(sha256, None)
            if start:
                headers = {"Content-Range": f"bytes {start}-{len(content) - 1}/{len(content)}"}
                self._reply(206, headers, content[start:])
                return
            if drop_after is None:
                self._reply(200, {}, content)
                return
            # Promise the whole file, send part of it, then close the connection cleanly:
            # the client sees the body end early, as when a network link goes away.
            self.send_response(200)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content[:drop_after])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_WR)
            self.close_connection = True

    return Handler


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """OCTOPUS_HOME and HF_HOME in tmp dirs; no token, no offline flag, no model env."""
    from huggingface_hub import constants

    octopus_home = tmp_path / "octopus"
    hf_home = tmp_path / "hf"
    monkeypatch.setenv("OCTOPUS_HOME", str(octopus_home))
    monkeypatch.setenv("HF_HOME", str(hf_home))
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv(models.MODEL_ENV, raising=False)
    # huggingface_hub read these at import time; point them at the tmp dirs as well.
    monkeypatch.setattr(constants, "HF_HOME", str(hf_home))
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(hf_home / "hub"))
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(hf_home / "token"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    return octopus_home / "data" / "models"


@pytest.fixture
def fake_hub(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    """A hub and a CDN on two loopback ports, with HF_ENDPOINT pointing at the hub."""
    hub = FakeHub()
    servers = []
    for role in ("hub", "cdn"):
        server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(hub, role))
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
    hub.endpoint = f"http://127.0.0.1:{servers[0].server_address[1]}"
    hub.cdn = f"http://127.0.0.1:{servers[1].server_address[1]}"
    monkeypatch.setenv("HF_ENDPOINT", hub.endpoint)
    try:
        yield hub
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


def _payload(size: int, seed: int = 0) -> bytes:
    block = hashlib.sha256(b"seed %d" % seed).digest()
    return (b"GGUF" + block * (size // len(block) + 1))[:size]


TINY = b"GGUF tiny model bytes"


def _add_tiny(
    hub: FakeHub, monkeypatch: pytest.MonkeyPatch, content: bytes = TINY, **entry_fields: object
) -> models.ModelEntry:
    """Register a small GGUF entry and serve it from the fake hub."""
    hub.add_repo(
        "test-org/tiny-gguf",
        {"tiny-Q4_K_M.gguf": content, "README.md": b"# tiny"},
        lfs={"tiny-Q4_K_M.gguf"},
    )
    fields: dict[str, object] = {
        "name": "tiny",
        "repo_id": "test-org/tiny-gguf",
        "kind": "gguf",
        "description": "a tiny test model",
        "filename": "tiny-Q4_K_M.gguf",
        "sha256": hashlib.sha256(content).hexdigest(),
        "revision": COMMIT,
    }
    fields.update(entry_fields)
    entry = models.ModelEntry(**fields)  # type: ignore[arg-type]
    monkeypatch.setitem(models.REGISTRY, entry.name, entry)
    return entry


# --------------------------------------------------------------------------- registry


def test_registry_names_and_defaults() -> None:
    assert models.DEFAULT_MODEL == "octopus-mini" and models.MODEL_ENV == "OCTOPUS_MODEL"
    assert {
        "octopus-v2",
        "octopus-v2-q4_k_m",
        "octopus-v2-q4_0",
        "octopus-v2-q8_0",
        "octopus-v2-f16",
    } <= set(models.REGISTRY)
    source = models.REGISTRY["octopus-v2"]
    assert (source.kind, source.repo_id) == ("safetensors", "NexaAIDev/Octopus-v2")
    assert source.local_filename == "octopus-v2.Q4_K_M.gguf"
    for name, entry in models.REGISTRY.items():
        assert entry.name == name
        if entry.kind == "gguf":
            assert entry.repo_id == "NexaAIDev/Octopus-v2-gguf-awq"
            assert entry.filename == f"octopus-v2-{name.rsplit('-', 1)[1].upper()}.gguf"
            # A checksum is only meaningful for a pinned commit.
            assert entry.sha256 is None or len(entry.revision) == 40


# --------------------------------------------------------------------------- pull


def test_pull_downloads_from_hf_endpoint_and_places_the_file(
    fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch, isolated: Path
) -> None:
    entry = _add_tiny(fake_hub, monkeypatch)
    path = models.pull("tiny", progress=False)
    assert path == isolated / "tiny-Q4_K_M.gguf"
    assert path.read_bytes() == TINY
    # It really went through the loopback hub (HEAD + redirect) and the CDN (GET).
    assert fake_hub.resolved() == ["tiny-Q4_K_M.gguf"] * len(fake_hub.resolved())
    assert [r.method for r in fake_hub.requests if r.server == "hub"][:1] == ["HEAD"]
    assert f"/{entry.repo_id}/resolve/{COMMIT}/" in fake_hub.requests[0].path
    assert len(fake_hub.cdn_gets()) == 1
    # Only the verified file is left: the staging folder is gone.
    assert [p.name for p in isolated.rglob("*") if p.is_file()] == ["tiny-Q4_K_M.gguf"]


def test_pull_again_does_not_touch_the_network_unless_forced(
    fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    _add_tiny(fake_hub, monkeypatch)
    first = models.pull("tiny", progress=False)
    seen = len(fake_hub.requests)
    assert models.pull("tiny", progress=False) == first
    assert len(fake_hub.requests) == seen
    models.pull("tiny", progress=False, force=True)
    assert len(fake_hub.cdn_gets()) == 2
    assert first.read_bytes() == TINY


def test_interrupted_download_resumes_with_a_range_request(
    fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    # huggingface_hub writes in 10 MiB chunks, so the drop must come after the first one for
    # any bytes to be kept; 16 MB with a drop at 12 MB exercises a real resume.
    size, dropped_at = 16_000_000, 12_000_000
    content = _payload(size, seed=1)
    _add_tiny(fake_hub, monkeypatch, content=content)
    fake_hub.drop_once[hashlib.sha256(content).hexdigest()] = dropped_at

    path = models.pull("tiny", progress=False)

    assert path.read_bytes() == content
    first, second = fake_hub.cdn_gets()
    assert first.range is None
    assert second.range is not None and second.range.startswith("bytes=")
    resumed_from = int(second.range.removeprefix("bytes=").removesuffix("-"))
    assert 0 < resumed_from <= dropped_at  # continued from the kept bytes, not from zero


def test_checksum_mismatch_against_the_registry_leaves_no_file(
    fake_hub: FakeHub, isolated: Path
) -> None:
    # The real registry entry, served bytes that are not the published file.
    entry = models.REGISTRY["octopus-v2-q4_k_m"]
    fake_hub.add_repo(
        entry.repo_id,
        {entry.filename: b"GGUF not the real file"},
        lfs={entry.filename},
        commit=entry.revision,
    )
    with pytest.raises(HubError, match=r"checksum mismatch for octopus-v2-Q4_K_M\.gguf") as caught:
        models.pull(entry.name, progress=False)
    assert "registry" in caught.value.message
    assert not (isolated / entry.filename).exists()
    assert not (isolated / ".staging" / entry.name).exists()
    assert not any(p.is_file() for p in isolated.rglob("*"))
    with pytest.raises(ModelNotFoundError, match="is not downloaded"):
        models.resolve_model(entry.name)


def test_checksum_mismatch_against_the_hub_lfs_sha256(
    fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch, isolated: Path
) -> None:
    # No pinned checksum: the hub's X-Linked-Etag (the LFS sha256) is still enforced.
    _add_tiny(fake_hub, monkeypatch, sha256=None)
    fake_hub.repos["test-org/tiny-gguf"].advertised_sha256["tiny-Q4_K_M.gguf"] = "ab" * 32
    with pytest.raises(HubError, match="the hub says sha256 abababababab"):
        models.pull("tiny", progress=False)
    assert not any(p.is_file() for p in isolated.rglob("*"))


def test_missing_file_is_a_hub_error_naming_repo_and_file(
    fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    _add_tiny(fake_hub, monkeypatch, filename="tiny-Q9_9.gguf")
    with pytest.raises(HubError) as caught:
        models.pull("tiny", progress=False)
    assert caught.value.message == (
        f"file tiny-Q9_9.gguf was not found in test-org/tiny-gguf (revision {COMMIT}) "
        f"on {fake_hub.endpoint}"
    )
    assert "\n" not in caught.value.message


def test_missing_repository_is_a_hub_error(
    fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    _add_tiny(fake_hub, monkeypatch, repo_id="test-org/gone")
    with pytest.raises(HubError, match="repository test-org/gone was not found") as caught:
        models.pull("tiny", progress=False)
    assert caught.value.hint is not None and "HF_TOKEN" in caught.value.hint


def test_unreachable_hub_is_a_hub_error_with_the_offline_hint(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    with pytest.raises(HubError) as caught:
        models.pull("octopus-v2-q4_k_m", progress=False)
    error = caught.value
    assert error.message.startswith(f"cannot reach the model hub at http://127.0.0.1:{port}")
    assert "\n" not in error.message
    assert error.hint is not None
    assert "HF_ENDPOINT" in error.hint and "--model" in error.hint
    assert not (isolated / "octopus-v2-Q4_K_M.gguf").exists()


def test_offline_mode_refuses_to_pull(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(HubError, match="HF_HUB_OFFLINE"):
        models.pull("octopus-v2-q4_0", progress=False)


def test_unknown_name_cannot_be_pulled(isolated: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="unknown model 'octopus-v9'") as caught:
        models.pull("octopus-v9")
    assert caught.value.hint is not None and "octopus-v2-q4_k_m" in caught.value.hint
    assert ".gguf" not in caught.value.hint  # pull takes registry names, not files


OCTOPUS_V2_FILES = {
    "config.json": b'{"architectures": ["GemmaForCausalLM"]}',
    "generation_config.json": b"{}",
    "model.safetensors.index.json": b'{"weight_map": {}}',
    "model-00001-of-00002.safetensors": _payload(50_000, seed=2),
    "model-00002-of-00002.safetensors": _payload(20_000, seed=3),
    "tokenizer.model": _payload(5_000, seed=4),
    "tokenizer.json": b'{"model": {}}',
    "tokenizer_config.json": b"{}",
    "added_tokens.json": b'{"<nexa_0>": 256000}',
    "special_tokens_map.json": b"{}",
    "README.md": b"# Octopus v2",
    "Octopus-logo.jpeg": _payload(3_000, seed=5),
    "android_functions.txt": b"def take_a_photo(camera): ...",
}


@pytest.mark.parametrize("keep_source", [False, True])
def test_octopus_v2_pull_fetches_only_checkpoint_files_with_converter_stubbed(
    fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch, isolated: Path, keep_source: bool
) -> None:
    """The converter is another module in progress: a stub stands in for it and writes a marker."""
    entry = models.REGISTRY["octopus-v2"]
    lfs = {name for name in OCTOPUS_V2_FILES if name.endswith((".safetensors", ".model", ".jpeg"))}
    fake_hub.add_repo(entry.repo_id, OCTOPUS_V2_FILES, lfs=lfs)
    calls: list[dict[str, object]] = []

    def convert_checkpoint(
        source: Path, out: Path, quant: str = "q4_k_m", **kwargs: object
    ) -> Path:
        source = Path(source)
        calls.append(
            {"files": sorted(p.name for p in source.iterdir() if p.is_file()), "quant": quant}
        )
        for name in entry.source_files:  # the converter sees the real downloaded bytes
            assert (source / name).read_bytes() == OCTOPUS_V2_FILES[name]
        out.write_bytes(b"GGUF converted by stub")
        return out

    stub = types.ModuleType("octopus_cli.convert")
    stub.convert_checkpoint = convert_checkpoint  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "octopus_cli.convert", stub)

    path = models.pull("octopus-v2", progress=False, keep_source=keep_source)

    assert path == isolated / "octopus-v2.Q4_K_M.gguf"
    assert path.read_bytes() == b"GGUF converted by stub"
    assert set(fake_hub.resolved()) == set(entry.source_files)
    assert not {
        "README.md",
        "Octopus-logo.jpeg",
        "android_functions.txt",
        "generation_config.json",
    } & set(fake_hub.resolved())
    assert calls == [{"files": sorted(entry.source_files), "quant": "q4_k_m"}]
    assert (isolated / ".sources" / "octopus-v2").exists() is keep_source
    assert models.resolve_model("octopus-v2") == path
    # Nothing half-written is left next to the model.
    assert not list(isolated.glob(".convert-*"))


def test_failed_conversion_places_no_model_and_keeps_the_download(
    fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch, isolated: Path
) -> None:
    entry = models.REGISTRY["octopus-v2"]
    fake_hub.add_repo(entry.repo_id, OCTOPUS_V2_FILES, lfs={"model-00001-of-00002.safetensors"})

    def convert_checkpoint(source: Path, out: Path, **kwargs: object) -> Path:
        out.write_bytes(b"GGUF half")
        raise ConversionError("unsupported checkpoint")

    stub = types.ModuleType("octopus_cli.convert")
    stub.convert_checkpoint = convert_checkpoint  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "octopus_cli.convert", stub)
    with pytest.raises(ConversionError, match="unsupported checkpoint"):
        models.pull("octopus-v2", progress=False)
    assert not (isolated / "octopus-v2.Q4_K_M.gguf").exists()
    assert not list(isolated.glob(".convert-*"))
    assert (
        isolated / ".sources" / "octopus-v2" / "config.json"
    ).is_file()  # no re-download next time


# --------------------------------------------------------------------------- resolve_model


def test_resolve_model_accepts_an_existing_file(tmp_path: Path, isolated: Path) -> None:
    gguf = tmp_path / "mine.gguf"
    gguf.write_bytes(b"GGUF")
    assert models.resolve_model(str(gguf)) == gguf
    other = tmp_path / "weights.bin"
    other.write_bytes(b"GGUF")
    assert models.resolve_model(str(other)) == other


def test_resolve_model_rejects_missing_paths_and_directories(
    tmp_path: Path, isolated: Path
) -> None:
    with pytest.raises(ModelNotFoundError, match="model file not found") as caught:
        models.resolve_model(str(tmp_path / "nope.gguf"))
    assert caught.value.hint is not None and "octopus-v2" in caught.value.hint
    with pytest.raises(ModelNotFoundError, match="model file not found"):
        models.resolve_model("models/missing")
    with pytest.raises(ModelNotFoundError, match="is a directory"):
        models.resolve_model(str(tmp_path))


def test_resolve_model_bare_name_in_the_working_directory(
    tmp_path: Path, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `-m checkpoint` and `-m mymodel` (no ./, no .gguf) name what is there, not the registry.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "checkpoint").mkdir()
    (tmp_path / "mymodel").write_bytes(b"GGUF")
    with pytest.raises(ModelNotFoundError, match="checkpoint is a directory"):
        models.resolve_model("checkpoint")
    assert models.resolve_model("mymodel") == tmp_path / "mymodel"


def test_resolve_model_registry_names(fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    _add_tiny(fake_hub, monkeypatch)
    with pytest.raises(ModelNotFoundError) as caught:
        models.resolve_model("tiny")
    assert caught.value.message == "model 'tiny' is not downloaded"
    assert caught.value.hint == "run: octopus models pull tiny"
    pulled = models.pull("tiny", progress=False)
    assert models.resolve_model("tiny") == pulled
    assert models.resolve_model("TINY") == pulled


def test_resolve_model_unknown_name_lists_known_names(isolated: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="unknown model 'gpt-9'") as caught:
        models.resolve_model("gpt-9")
    assert caught.value.hint is not None
    assert all(name in caught.value.hint for name in models.REGISTRY)


def test_resolve_model_uses_env_var_then_default(
    tmp_path: Path, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ModelNotFoundError, match="model 'octopus-mini' is not downloaded"):
        models.resolve_model(None)  # the default
    gguf = tmp_path / "env.gguf"
    gguf.write_bytes(b"GGUF")
    monkeypatch.setenv(models.MODEL_ENV, str(gguf))
    assert models.resolve_model(None) == gguf
    explicit = tmp_path / "explicit.gguf"
    explicit.write_bytes(b"GGUF")
    assert models.resolve_model(str(explicit)) == explicit  # --model beats the env var
    monkeypatch.setenv(models.MODEL_ENV, "nonsense-model")
    with pytest.raises(
        ModelNotFoundError, match=r"unknown model 'nonsense-model' \(from OCTOPUS_MODEL\)"
    ):
        models.resolve_model(None)


# --------------------------------------------------------------------------- list / rm


def test_list_and_remove(
    fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch, isolated: Path
) -> None:
    _add_tiny(fake_hub, monkeypatch)
    status = {s.entry.name: s for s in models.list_models()}
    assert not status["tiny"].pulled and status["tiny"].path == isolated / "tiny-Q4_K_M.gguf"
    published = models.REGISTRY["octopus-v2-q4_k_m"]
    assert status[published.name].size == published.size_hint  # a hint until pulled

    models.pull("tiny", progress=False)
    status = {s.entry.name: s for s in models.list_models()}
    assert status["tiny"].pulled and status["tiny"].size == len(TINY)

    removed = models.remove("tiny")
    assert removed == [isolated / "tiny-Q4_K_M.gguf"]
    assert not {s.entry.name: s for s in models.list_models()}["tiny"].pulled
    assert models.remove("tiny") == []
    with pytest.raises(ModelNotFoundError):
        models.remove("not-a-model")


# --------------------------------------------------------------------------- CLI


def test_cli_list_path_pull_rm(
    fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch, isolated: Path
) -> None:
    _add_tiny(fake_hub, monkeypatch)
    runner = CliRunner()

    listed = runner.invoke(models_app, ["list"])
    assert listed.exit_code == 0, listed.output
    rows = {line[2:].split()[0]: line for line in listed.stdout.splitlines()[1:]}
    assert set(models.REGISTRY) == set(rows)
    assert "not pulled" in rows["tiny"]
    assert rows["octopus-mini"].startswith("* ")  # the default model is marked
    assert rows["octopus-v2-q4_k_m"].startswith("  ")
    assert rows["octopus-v2"].startswith("  ")

    pulled = runner.invoke(models_app, ["pull", "tiny", "--no-progress"])
    assert pulled.exit_code == 0, pulled.output
    assert pulled.stdout.strip() == str(isolated / "tiny-Q4_K_M.gguf")

    listed = runner.invoke(models_app, ["list"])
    tiny_row = next(line for line in listed.stdout.splitlines() if line[2:].startswith("tiny "))
    assert tiny_row.split()[1] == "pulled" and f"{len(TINY)} B" in tiny_row

    as_json = json.loads(runner.invoke(models_app, ["list", "--json"]).stdout)
    assert {row["name"]: row["pulled"] for row in as_json}["tiny"] is True

    shown = runner.invoke(models_app, ["path", "tiny"])
    assert shown.exit_code == 0 and shown.stdout.strip() == str(isolated / "tiny-Q4_K_M.gguf")

    monkeypatch.setenv(models.MODEL_ENV, "tiny")
    assert runner.invoke(models_app, ["path"]).stdout.strip() == str(isolated / "tiny-Q4_K_M.gguf")

    removed = runner.invoke(models_app, ["rm", "tiny"])
    assert removed.exit_code == 0 and "removed" in removed.stderr
    missing = runner.invoke(models_app, ["path", "tiny"])
    assert isinstance(missing.exception, ModelNotFoundError)  # the main app maps it to "Error: ..."
