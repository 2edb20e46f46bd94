"""Does the assembled GGUF answer like the merged model in transformers?

Greedy decoding, no grammar, same prompt token ids on both sides, stopping at
``<nexa_end>``; prints how many answers are token-for-token identical and how many give
the same parsed call. Needs the ``train`` extra (torch, transformers).

    python -m octopus_cli.train.parity MERGED MODEL.gguf QUERIES.jsonl [--limit N]

MERGED is what ``octopus train --save-merged`` writes, or an artifact directory
(``models/octopus-mini``): then the base GGUF is loaded in transformers and the artifact's
LoRA deltas and new token rows are merged in memory.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from octopus_cli.calls import parse_output
from octopus_cli.errors import InputError
from octopus_cli.functions import load_function_set
from octopus_cli.runtime import Runtime, build_prompt
from octopus_cli.train.data import read_jsonl


def compare(merged: Path, gguf: Path, queries: list[str], max_tokens: int = 64) -> dict:
    import torch
    from transformers import AutoModelForCausalLM

    function_set = load_function_set()
    runtime = Runtime(gguf)
    end_id = runtime.single_token_id(function_set.end_token)
    assert end_id is not None, "the GGUF lacks <nexa_end>"
    if (merged / "manifest.json").is_file():
        model = merge_artifact(merged)
    else:
        model = AutoModelForCausalLM.from_pretrained(merged, dtype=torch.float32)
    model.eval()
    same_tokens = same_call = 0
    rows = []
    for query in queries:
        prompt = runtime.tokenize(build_prompt(query))
        ours = runtime.generate(prompt, max_tokens=max_tokens, stop_ids=[end_id]).tokens
        with torch.no_grad():
            output = model.generate(
                torch.tensor([prompt]),
                max_new_tokens=max_tokens,
                do_sample=False,
                eos_token_id=[end_id, 1],
                pad_token_id=0,
            )
        theirs = output[0, len(prompt) :].tolist()
        a = parse_output(runtime.detokenize(ours), function_set)
        b = parse_output(runtime.detokenize(theirs), function_set)
        calls_a = [c.call_string() for c in a.calls]
        calls_b = [c.call_string() for c in b.calls]
        same_tokens += ours == theirs
        same_call += (a.kind, calls_a) == (b.kind, calls_b)
        rows.append({"query": query, "llama_cpp": calls_a, "transformers": calls_b})
    return {
        "queries": len(queries),
        "identical_tokens": same_tokens,
        "same_call": same_call,
        "differences": [r for r in rows if r["llama_cpp"] != r["transformers"]],
    }


def merge_artifact(artifact: Path):  # -> transformers model
    """The base in transformers (float32) with the artifact's deltas and rows applied."""
    import torch
    from safetensors.torch import load_file

    from octopus_cli.train.trainer import (
        LORA_TARGETS,
        NEW_ROWS_TENSOR,
        default_base_path,
        load_base,
    )

    manifest = json.loads((artifact / "manifest.json").read_text(encoding="utf-8"))
    scale = float(manifest["lora"]["scale"])
    tensors = load_file(str(artifact / "adapter.safetensors"))
    loaded = load_base(default_base_path())
    model = loaded.model
    with torch.no_grad():
        for hf_name, kind in LORA_TARGETS.items():
            for layer, block in enumerate(model.model.layers):
                key = f"blk.{layer}.{kind}.weight"
                if f"{key}.lora_a" not in tensors:
                    continue
                a, b = tensors[f"{key}.lora_a"].float(), tensors[f"{key}.lora_b"].float()
                block.get_submodule(hf_name).weight += (b @ a) * scale
        rows = tensors[NEW_ROWS_TENSOR].float()
        model.resize_token_embeddings(loaded.base_vocab + rows.shape[0], mean_resizing=False)
        model.get_input_embeddings().weight[loaded.base_vocab :] = rows
    model.tie_weights()
    return model


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("merged", type=Path)
    parser.add_argument("gguf", type=Path)
    parser.add_argument("queries", type=Path)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args(argv)
    queries: list[str] = []
    try:
        for number, record in read_jsonl(args.queries, "query file"):
            if not isinstance(record, dict) or not isinstance(record.get("query"), str):
                parser.error(f'{args.queries}:{number}: no "query" string')
            queries.append(record["query"])
    except InputError as exc:
        parser.error(str(exc))
    report = compare(args.merged, args.gguf, queries[: args.limit])
    json.dump(report, sys.stdout, indent=2, ensure_ascii=False)
    print()


if __name__ == "__main__":
    main()
