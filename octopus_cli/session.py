"""Build a ready :class:`~octopus_cli.caller.Caller` from command-line choices.

Commands call :func:`open_caller`; tests replace it with a caller whose outputs are
queued, so the whole command path (parsing, validation, output, handlers) runs for real
without a model.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from octopus_cli.functions import load_function_set

if TYPE_CHECKING:
    from octopus_cli.caller import Caller


@dataclass
class CallerOptions:
    model: str | None = None
    functions: Path | None = None
    grammar: bool = True
    copy_values: bool = True
    gpu_layers: int = 0
    threads: int | None = None
    prefix_cache: bool = True
    min_confidence: float = 0.0


def gpu_offload_supported() -> bool:
    """Whether the llama.cpp build can offload layers (Metal, Vulkan, CUDA...)."""
    import llama_cpp

    return bool(llama_cpp.llama_supports_gpu_offload())


def open_caller(options: CallerOptions) -> Caller:
    """Resolve the model, load it in llama.cpp, and check it against the function set."""
    from octopus_cli.caller import LocalCaller  # deferred: it loads llama.cpp and numpy
    from octopus_cli.models import resolve_model
    from octopus_cli.runtime import Runtime

    function_set = load_function_set(options.functions)
    path = resolve_model(options.model)
    runtime = Runtime(
        path,
        n_gpu_layers=options.gpu_layers,
        n_threads=options.threads,
        prefix_cache=options.prefix_cache,
    )
    return LocalCaller(
        runtime,
        function_set,
        use_grammar=options.grammar,
        copy_values=options.copy_values,
        min_confidence=options.min_confidence,
    )
