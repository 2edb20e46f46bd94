"""The console script's entry point. It imports nothing itself, so that Ctrl-C while
Typer, Rich and llama.cpp are still being imported (a good part of a second) ends with
one line and exit code 130, as it does later on, never with a traceback."""

import os


def main() -> None:
    try:
        from octopus_cli.cli import main as run
    except KeyboardInterrupt:
        os.write(2, b"Interrupted.\n")
        os._exit(130)
    run()
