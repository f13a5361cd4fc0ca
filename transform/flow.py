"""How the stages run together: an iterator run ahead on a background thread, and progress lines on stderr."""

from __future__ import annotations

import queue
import sys
import threading
import time
from collections.abc import Iterator


def prefetch(it: Iterator, depth: int = 2) -> Iterator:
    """Run an iterator on a background thread, `depth` items ahead; its exceptions re-raise here."""
    q: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def produce() -> None:
        try:
            for x in it:
                if stop.is_set():
                    return
                q.put((x, None))
            q.put((done, None))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            q.put((done, exc))

    t = threading.Thread(target=produce, name="raw-reader", daemon=True)
    t.start()
    try:
        while True:
            x, exc = q.get()
            if x is done:
                if exc is not None:
                    raise exc
                return
            yield x
    finally:
        stop.set()
        while t.is_alive():
            try:
                q.get_nowait()
            except queue.Empty:
                t.join(0.05)


class Progress:
    """A progress line on stderr every few seconds."""

    def __init__(self, out=sys.stderr, every: float = 3.0) -> None:
        self.out, self.every, self.t0, self.last = out, every, time.monotonic(), 0.0

    def tick(self, msg: str, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self.last >= self.every:
            self.last = now
            print(f"[{now - self.t0:7.1f}s] {msg}", file=self.out, flush=True)
