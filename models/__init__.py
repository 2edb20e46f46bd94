"""Shipped training artifacts (LoRA weights, new token rows, manifests).

Installed as ``octopus_cli.bundled_models``; ``octopus models pull NAME`` assembles a full
GGUF from one of them and its base model (see ``octopus_cli.assemble``).
"""
