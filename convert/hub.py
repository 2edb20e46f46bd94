"""Fetch just the files a conversion needs from a model hub repository.

``hf_hub_download`` one file at a time (never a snapshot) so a repository that also holds
PyTorch pickles, GGUF builds or ONNX exports costs only its safetensors. The endpoint is
read from ``HF_ENDPOINT`` at call time, so mirrors and tests can point it elsewhere even
after huggingface_hub was imported.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from octopus_cli.errors import ConversionError, HubError

REQUIRED_FILES = ("config.json", "tokenizer.model")
OPTIONAL_FILES = (
    "tokenizer_config.json",
    "added_tokens.json",
    "special_tokens_map.json",
    "tokenizer.json",
    "chat_template.jinja",
)
_REPO_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*")


def looks_like_repo_id(source: str) -> bool:
    return bool(_REPO_ID.fullmatch(source)) and ".." not in source


def fetch_checkpoint(repo_id: str, revision: str | None = None) -> Path:
    """Download config, tokenizer files and safetensors of ``repo_id``; return their folder."""
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import (
        EntryNotFoundError,
        GatedRepoError,
        HfHubHTTPError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    endpoint = os.environ.get("HF_ENDPOINT") or None

    def get(filename: str, required: bool) -> Path | None:
        try:
            return Path(hf_hub_download(repo_id, filename, revision=revision, endpoint=endpoint))
        except GatedRepoError:
            raise HubError(
                f"{repo_id} is gated: accept its licence on the hub first",
                hint="then log in with `hf auth login` or set HF_TOKEN",
            ) from None
        except RepositoryNotFoundError:
            raise HubError(
                f"repository {repo_id} not found (or private)",
                hint="check the name; for a private repository set HF_TOKEN",
            ) from None
        except RevisionNotFoundError:
            raise HubError(f"{repo_id} has no revision {revision!r}") from None
        except LocalEntryNotFoundError as exc:  # offline or unreachable (a subclass of
            # EntryNotFoundError, so it must be caught first)
            raise HubError(
                f"cannot download {filename} from {repo_id}: {exc}",
                hint="check the network, HF_ENDPOINT and HF_TOKEN, or pass a local directory",
            ) from None
        except EntryNotFoundError:
            if required:
                raise ConversionError(
                    f"{repo_id} has no {filename}",
                    hint="octopus convert needs a Hugging Face checkpoint with safetensors "
                    "and a SentencePiece tokenizer.model",
                ) from None
            return None
        except (HfHubHTTPError, OSError) as exc:
            raise HubError(
                f"cannot download {filename} from {repo_id}: {exc}",
                hint="check the network, HF_ENDPOINT and HF_TOKEN, or pass a local directory",
            ) from None

    first = get("config.json", required=True)
    assert first is not None
    # Pin every later file to the commit the first one came from, so a push to the
    # repository during the download cannot mix two versions.
    if revision is None and first.parent.parent.name == "snapshots":
        revision = first.parent.name
    for name in REQUIRED_FILES[1:]:
        get(name, required=True)
    for name in OPTIONAL_FILES:
        get(name, required=False)
    index = get("model.safetensors.index.json", required=False)
    if index is not None:
        try:
            weight_map = json.loads(index.read_text(encoding="utf-8"))["weight_map"]
            shards = sorted(set(weight_map.values()))
        except (KeyError, TypeError, AttributeError, json.JSONDecodeError) as exc:
            raise ConversionError(
                f"{repo_id}: malformed model.safetensors.index.json ({exc})"
            ) from None
        for shard in shards:
            if not looks_like_repo_id(f"x/{shard}"):  # a plain file name, no path tricks
                raise ConversionError(f"{repo_id}: suspicious shard name {shard!r} in the index")
            get(shard, required=True)
    else:
        get("model.safetensors", required=True)
    return first.parent
