"""`scrapy check` whose contracts find their site: when nothing answers at CRICKET_CONTRACT_BASE_URL on this
machine it starts the replica the contracts are written for (300 players, seed 7) and stops it afterwards;
for a base URL elsewhere, or with CRICKET_CONTRACT_START_REPLICA=0, it says in one line what is missing and
how to start it, instead of a connection-refused traceback per contract."""

from __future__ import annotations

import socket
import sys
from urllib.parse import urlparse

from scrapy.commands.check import Command as ScrapyCheck

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
REPLICA_ARGS = ("--players", "300", "--seed", "7")  # the world CRICKET_CONTRACT_PLAYER_ID belongs to


def answers(url: str, timeout: float = 2.0) -> bool:
    """Whether something accepts a TCP connection at the URL's host and port."""
    u = urlparse(url)
    if not u.hostname:
        return False
    port = u.port or (443 if u.scheme == "https" else 80)
    try:
        with socket.create_connection((u.hostname, port), timeout=timeout):
            return True
    except OSError:
        return False


class Command(ScrapyCheck):
    replica = None

    def process_options(self, args, opts) -> None:
        super().process_options(args, opts)
        if opts.list:
            return
        base = self.settings.get("CRICKET_CONTRACT_BASE_URL")
        if answers(base):
            return
        host = urlparse(base).hostname
        port = urlparse(base).port or 8765
        if host not in LOOPBACK or not self.settings.getbool("CRICKET_CONTRACT_START_REPLICA", True):
            print(
                f"scrapy check: no replica answers at {base}; start one with `python -m replica serve "
                f"{' '.join(REPLICA_ARGS)} --port {port}` (or set CRICKET_CONTRACT_BASE_URL to one that runs)",
                file=sys.stderr,
            )
            sys.exit(1)
        from replica.process import start_replica

        self.replica = start_replica(*REPLICA_ARGS)
        self.settings.set("CRICKET_CONTRACT_BASE_URL", self.replica.url, priority="cmdline")
        print(
            f"scrapy check: no replica answered at {base}; started one at {self.replica.url} "
            f"({' '.join(REPLICA_ARGS)}) for these checks",
            file=sys.stderr,
        )

    def run(self, args, opts) -> None:
        try:
            super().run(args, opts)
        finally:
            if self.replica is not None:
                self.replica.stop()
