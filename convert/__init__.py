"""``octopus convert``: a Hugging Face Gemma-family checkpoint to a GGUF llama.cpp runs.

Supported architectures: GemmaForCausalLM (Octopus v2), Gemma2ForCausalLM and
Gemma3ForCausalLM. The functional tokens survive intact and are described in the GGUF
for the runtime:

- ``tokenizer.ggml.eot_token_id``: id of the function set's end token (``<nexa_end>``),
  so llama.cpp treats it as end of generation;
- ``octopus.function_set`` (string): the function set's name;
- ``octopus.function_tokens`` (int32 array): ids of the functional tokens, in
  function-set order;
- ``octopus.function_names`` (string array): the function of each of those tokens;
- ``octopus.end_token_id`` (uint32): the end token's id again, under our own key.
"""

from .architectures import ARCHITECTURES
from .converter import (
    DEFAULT_QUANT,
    KEY_END_TOKEN,
    KEY_FUNCTION_NAMES,
    KEY_FUNCTION_SET,
    KEY_FUNCTION_TOKENS,
    QUANT_TYPES,
    ConversionSummary,
    convert_checkpoint,
)

SUPPORTED_ARCHITECTURES = tuple(ARCHITECTURES)

__all__ = [
    "DEFAULT_QUANT",
    "KEY_END_TOKEN",
    "KEY_FUNCTION_NAMES",
    "KEY_FUNCTION_SET",
    "KEY_FUNCTION_TOKENS",
    "QUANT_TYPES",
    "SUPPORTED_ARCHITECTURES",
    "ConversionSummary",
    "convert_checkpoint",
]
