"""Built-in function sets (TOML data), installed as ``octopus_cli.function_sets``."""
