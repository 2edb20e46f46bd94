"""Converting from a hub repo id, against a local stand-in for the hub (via HF_ENDPOINT).

The stand-in speaks the small part of the hub protocol ``hf_hub_download`` uses
(``HEAD``/``GET /{repo}/resolve/{revision}/{file}`` with ``X-Repo-Commit`` and ``ETag``
headers, ``X-Error-Code`` on errors) and records every file requested, so the test can
check that only the needed files are fetched.
"""

from __future__ import annotations

import hashlib
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import gguf
import pytest
from huggingface_hub import constants
from huggingface_hub.utils import _http as hf_http

from octopus_cli.convert import convert_checkpoint
from octopus_cli.errors import ConversionError, HubError
from tests.convert.fixtures import build_tiny_gemma3_checkpoint, build_tiny_octopus_checkpoint

COMMIT = "0123456789abcdef0123456789abcdef01234567"


class FakeHub(http.server.ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.repos: dict[str, dict[str, bytes]] = {}
        self.gated: set[str] = set()
        self.fetched: list[tuple[str, str, str]] = []  # (repo, revision, file) of each GET

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}"


class _Handler(http.server.BaseHTTPRequestHandler):
    server: FakeHub

    def log_message(self, *args: object) -> None:
        pass

    def _reply(self, send_body: bool) -> None:
        parts = self.path.split("?")[0].strip("/").split("/")
        if len(parts) < 5 or parts[2] != "resolve":
            return self._error(404, "RepoNotFound")
        repo, revision, name = "/".join(parts[:2]), parts[3], "/".join(parts[4:])
        if repo in self.server.gated:
            return self._error(403, "GatedRepo")
        if repo not in self.server.repos:
            return self._error(404, "RepoNotFound")
        if revision not in ("main", COMMIT):
            return self._error(404, "RevisionNotFound")
        files = self.server.repos[repo]
        if name not in files:
            return self._error(404, "EntryNotFound")
        body = files[name]
        self.send_response(200)
        self.send_header("X-Repo-Commit", COMMIT)
        self.send_header("ETag", f'"{hashlib.sha256(body).hexdigest()}"')
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body:
            self.server.fetched.append((repo, revision, name))
            self.wfile.write(body)

    def _error(self, status: int, code: str) -> None:
        self.send_response(status)
        self.send_header("X-Error-Code", code)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_HEAD(self) -> None:
        self._reply(send_body=False)

    def do_GET(self) -> None:
        self._reply(send_body=True)


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    server = FakeHub()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    # set after huggingface_hub was imported: the converter must read it at call time
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def _publish(hub: FakeHub, repo: str, directory: Path, **extra: bytes) -> None:
    files = {p.name: p.read_bytes() for p in directory.iterdir()}
    hub.repos[repo] = {**files, **extra}


DECOYS = {
    "pytorch_model.bin": b"\0" * 4096,
    "octopus-v2.Q4_K_M.gguf": b"GGUF" + b"\0" * 4096,
    "README.md": b"# a model card",
    "onnx/model.onnx": b"\0" * 100,
}


def test_fetches_only_the_needed_files(tmp_path: Path, hub: FakeHub) -> None:
    ckpt = build_tiny_octopus_checkpoint(tmp_path / "ckpt")
    _publish(hub, "NexaAIDev/Octopus-v2", ckpt, **DECOYS)
    out = tmp_path / "out.gguf"
    summary = convert_checkpoint("NexaAIDev/Octopus-v2", out, quant="q8_0", progress=False)
    assert summary.function_tokens == 21 and out.is_file()
    fetched = {name for _, _, name in hub.fetched}
    assert fetched == {
        "config.json",
        "tokenizer.model",
        "tokenizer_config.json",
        "added_tokens.json",
        "special_tokens_map.json",
        "model.safetensors",
    }
    # every file after the first comes from the commit the first one resolved to
    assert all(rev == COMMIT for _, rev, name in hub.fetched if name != "config.json")
    fields = gguf.GGUFReader(out).fields
    assert fields["general.name"].contents() == "NexaAIDev/Octopus-v2"


def test_sharded_repository(tmp_path: Path, hub: FakeHub) -> None:
    ckpt = build_tiny_gemma3_checkpoint(tmp_path / "ckpt")
    _publish(hub, "someone/gemma3-tiny", ckpt, **DECOYS)
    convert_checkpoint("someone/gemma3-tiny", tmp_path / "out.gguf", quant="f16", progress=False)
    fetched = {name for _, _, name in hub.fetched}
    assert {
        "model.safetensors.index.json",
        "model-00001-of-00002.safetensors",
        "model-00002-of-00002.safetensors",
    } <= fetched
    assert not fetched & set(DECOYS)


def test_hub_errors(tmp_path: Path, hub: FakeHub) -> None:
    with pytest.raises(HubError, match="not found"):
        convert_checkpoint("nobody/nothing", tmp_path / "m.gguf", progress=False)
    hub.repos["google/gated"] = {}
    hub.gated.add("google/gated")
    with pytest.raises(HubError, match="gated") as err:
        convert_checkpoint("google/gated", tmp_path / "m.gguf", progress=False)
    assert "HF_TOKEN" in (err.value.hint or "")
    hub.repos["someone/empty"] = {"README.md": b"nothing here"}
    with pytest.raises(ConversionError, match=r"someone/empty has no config\.json"):
        convert_checkpoint("someone/empty", tmp_path / "m.gguf", progress=False)
    ckpt = build_tiny_octopus_checkpoint(tmp_path / "ckpt")
    _publish(hub, "someone/octo", ckpt)
    with pytest.raises(HubError, match="no revision 'v9'"):
        convert_checkpoint("someone/octo", tmp_path / "m.gguf", progress=False, revision="v9")
    assert not (tmp_path / "m.gguf").exists()


def test_unreachable_hub(tmp_path: Path, hub: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    hub.shutdown()
    hub.server_close()
    monkeypatch.setattr(constants, "HF_HUB_ETAG_TIMEOUT", 2)
    # huggingface_hub retries a refused connection five times with back-off (about 23 s)
    monkeypatch.setattr(hf_http.time, "sleep", lambda seconds: None)
    with pytest.raises(HubError, match=r"cannot download config\.json") as err:
        convert_checkpoint("someone/octo", tmp_path / "m.gguf", progress=False)
    assert "HF_ENDPOINT" in (err.value.hint or "")
