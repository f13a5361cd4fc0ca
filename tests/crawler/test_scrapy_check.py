"""`scrapy check` with no replica running: it starts the contracts' replica itself and stops it, or (told not to)
says so in one line with the command that starts one — never a traceback per contract."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from tests.helpers import REPO


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _check(tmp_path, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "scrapy", "check", "statsguru", "player_stats"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "CRICKET_RAW_URI": str(tmp_path), **env},
    )


def test_no_replica_running_starts_one_for_the_checks(tmp_path):
    port = _free_port()
    res = _check(tmp_path, CRICKET_CONTRACT_BASE_URL=f"http://127.0.0.1:{port}")
    assert res.returncode == 0, res.stderr[-3000:]
    assert f"scrapy check: no replica answered at http://127.0.0.1:{port}; started one at" in res.stderr
    assert "OK" in res.stderr and "Ran 0 contracts" not in res.stderr and "Connection" not in res.stderr
    # the replica it started is gone afterwards
    url = res.stderr.split("started one at ", 1)[1].split()[0]
    from crawler.commands.check import answers

    assert not answers(url, timeout=0.5)


def test_told_not_to_start_one_it_says_so_in_one_line(tmp_path):
    port = _free_port()
    res = _check(
        tmp_path, CRICKET_CONTRACT_BASE_URL=f"http://127.0.0.1:{port}", CRICKET_CONTRACT_START_REPLICA="0"
    )
    assert res.returncode == 1
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert lines == [
        f"scrapy check: no replica answers at http://127.0.0.1:{port}; start one with `python -m replica serve "
        f"--players 300 --seed 7 --port {port}` (or set CRICKET_CONTRACT_BASE_URL to one that runs)"
    ]
