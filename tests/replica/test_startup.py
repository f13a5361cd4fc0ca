"""Acceptance: a replica of 15,000 players (real-site scale) starts and serves a 200-row page of every player.

How fast it starts is measured by bench/replica_bench.py (bench/RESULTS.md: the < 20 s target), not asserted here.
"""

from __future__ import annotations

import urllib.request

from tests.helpers import start_replica


def test_15000_players_serve_their_lists():
    srv = start_replica("--players", "15000", "--seed", "7", timeout=180)
    try:
        # The lists are aggregated lazily after the `serving` line: the first page waits for them.
        with urllib.request.urlopen(
            srv.url + "/ci/engine/stats/index.html?class=11;template=results;type=batting;size=200",
            timeout=180,
        ) as r:
            body = r.read()
            assert r.status == 200 and b"Page 1 of" in body
    finally:
        srv.stop()
    pages = int(body.split(b"Page 1 of ", 1)[1].split(b"<", 1)[0].strip())
    assert pages >= 15000 // 200 // 3, f"class 11 lists only {pages} pages of 200 for 15,000 players"
