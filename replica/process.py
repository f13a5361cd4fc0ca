"""Run the replica as a child process: start it on a free port, wait for its `serving` line, stop it."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# cricket-scrape settings for crawling our own replica at full speed (the real site keeps the polite defaults)
FAST_CRAWL = (
    "-s",
    "AUTOTHROTTLE_ENABLED=False",
    "-s",
    "CONCURRENT_REQUESTS=32",
    "-s",
    "CONCURRENT_REQUESTS_PER_DOMAIN=32",
    "-s",
    "DOWNLOAD_DELAY=0",
)


@dataclass
class Server:
    url: str
    proc: subprocess.Popen

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_replica(*args: str, timeout: float = 60.0) -> Server:
    """`python -m replica serve --port 0 ARGS`; returns once it prints its `serving URL` line."""
    cmd = [sys.executable, "-m", "replica", "serve", "--host", "127.0.0.1", "--port", "0", *args]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + timeout
    line = ""
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.startswith("serving "):
            return Server(line.split()[1].strip(), proc)
        if proc.poll() is not None:
            break
    proc.kill()
    raise RuntimeError(f"replica did not start: {cmd} printed {line!r}")
