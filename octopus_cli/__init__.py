"""octopus: on-device function calling with functional-token models on llama.cpp."""

__version__ = "0.1.0"
