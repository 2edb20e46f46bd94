"""Ctrl-C that is never lost inside llama.cpp.

llama.cpp reports through a log callback that ctypes runs as Python code. A SIGINT that
arrives while that callback runs raises KeyboardInterrupt inside it, and ctypes prints
"Exception ignored on calling ctypes callback function" and carries on: the interrupt is
gone, and a run the user tried to stop goes on to answer (and run handlers). So around
the llama.cpp calls that log (loading a model, creating a context) SIGINT only records
itself, and the interrupt is raised as soon as the call returns.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Hold SIGINT during the block and raise KeyboardInterrupt after it if one came."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers belong to the main thread
        return
    received: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda number, frame: received.append(number))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if received:
        raise KeyboardInterrupt
