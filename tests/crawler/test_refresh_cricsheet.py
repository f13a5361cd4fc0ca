"""Cricsheet in the refresh plan: the backfill without a finished cricsheet run, the weekly recently_added_7 after
one, recently_added_30 or the backfill when the last is older; its own host and Crawl-delay in the total; a
replica refresh that fetches recently_added_7 and a transform that publishes the week's new matches."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import subprocess
import sys
import threading

import pytest

from crawler.cricsheet_plan import LastRun, decide, run_id_of
from tests.crawler.rawcheck import read_run
from tests.crawler.test_crawl_replica import FAST, scrape
from tests.crawler.test_refresh_crawl import _refresh, _state
from tests.helpers import REPO

NOW = dt.datetime(2026, 4, 24, 3, 0, tzinfo=dt.timezone.utc)


def _written(days: int, hour: int = 23) -> LastRun:
    day = NOW.date() - dt.timedelta(days=days)
    return LastRun("w", dt.datetime(day.year, day.month, day.day, hour, 59, tzinfo=dt.timezone.utc))


def test_which_archives_the_days_since_the_last_run_need():
    assert decide(None, NOW) == (None, "no finished cricsheet run: the backfill")
    assert decide(_written(0), NOW) == (7, "the last cricsheet run w was written 0 days ago (at most 7)")
    # the weekly schedule: the last run was written on the day a week before, whatever the hour
    assert decide(_written(7, hour=0), NOW)[0] == 7 and decide(_written(7), NOW)[0] == 7
    assert decide(_written(8), NOW) == (30, "the last cricsheet run w was written 8 days ago (at most 30)")
    assert decide(_written(30), NOW)[0] == 30
    assert decide(_written(31), NOW) == (
        None,
        "the last cricsheet run w was written 31 days ago, over 30: the backfill",
    )
    assert decide(_written(0), NOW, full=True) == (None, "--full: the full archives")
    # named by the day asked for: the same before and after the Statsguru refresh of that day finished
    assert (run_id_of(NOW.date()), run_id_of(NOW.date(), full=True)) == (
        "cricsheet-2026-04-24",
        "cricsheet-full-2026-04-24",
    )


# ------------------------------------------------------------------------------ plan lines


class _Robots(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        body = f"User-agent: *\nCrawl-delay: {self.server.delay}\n".encode()
        self.send_response(200 if self.path == "/robots.txt" else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def hosts():
    """Two hosts that serve only a robots.txt: Statsguru's (Crawl-delay 15) and Cricsheet's (Crawl-delay 5)."""
    servers = []
    for delay in (15, 5):
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Robots)
        srv.delay = delay
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        servers.append(srv)
    yield [f"127.0.0.1:{s.server_address[1]}" for s in servers]
    for s in servers:
        s.shutdown()
        s.server_close()


def _finished_cricsheet_run(raw, run_id: str, written_at: dt.datetime) -> None:
    """A finished cricsheet run with no parts (every download answered 304), written at `written_at`."""
    d = raw / "cricsheet" / f"run_id={run_id}"
    d.mkdir(parents=True)
    manifest = {
        "run_id": run_id,
        "spider": "cricsheet",
        "finish_reason": "finished",
        "written_at": written_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "parts": [],
        "part_items": {},
        "part_bytes": {},
        "part_sha256": {},
        "item_count": 0,
    }
    (d / "_manifest.json").write_text(json.dumps(manifest))


def _delta_state(raw) -> None:
    """A refresh state after a full crawl up to 2026-04-17 (no counts: the delta is costed one page a list)."""
    (raw / "_state").mkdir(parents=True)
    state = {
        "version": 1,
        "updated_at": "2026-04-18T00:00:00Z",
        "watermark": "2026-04-17",
        "last_full": {"refresh_id": "full-2026-04-17", "until": "2026-04-17"},
        "snapshot": [{"spider": "statsguru", "run_id": "full-2026-04-17.career"}],
        "refreshes": [{"refresh_id": "full-2026-04-17", "kind": "full"}],
        "backfill": None,
    }
    (raw / "_state" / "refresh.json").write_text(json.dumps(state))


def _plan_lines(raw, stats: str, cricsheet: str, *extra: str) -> tuple[list[dict], dict]:
    res = scrape(
        "plan", "--raw", str(raw), "--until", "2026-04-24", "--base-url", f"http://{stats}",
        "--cricsheet-url", f"http://{cricsheet}", *FAST, *extra,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr[-3000:]
    lines = [json.loads(x) for x in res.stdout.splitlines()]
    return lines[:-1], lines[-1]["total"]


def _cricsheet_line(run_id: str, cs: str, **arguments: str) -> dict:
    archives = arguments.get("archives")
    return {
        "spider": "cricsheet",
        "purpose": "cricsheet backfill" if archives else f"cricsheet recently added {arguments['recent']}",
        "run_id": run_id,
        "arguments": {"run_id": run_id, **arguments, "register": "yes"},
        "requests": {cs: 4 if archives else 2},
        "stage": 1,
        "snapshot": False,
    }


def test_the_plan_names_cricsheets_run_by_its_state_on_its_own_host(hosts, tmp_path):
    stats, cs = hosts
    raw = tmp_path / "raw"
    _delta_state(raw)
    now = dt.datetime.now(dt.timezone.utc)
    rid = "cricsheet-2026-04-24"

    # no finished cricsheet run: the backfill, the three format archives and the register
    runs, total = _plan_lines(raw, stats, cs)
    assert runs[0] == _cricsheet_line(rid, cs, archives="tests,odis,t20s")
    assert [(r["spider"], r["purpose"]) for r in runs[1:3]] == [
        ("statsguru", "career lists"),
        ("statsguru", "innings window"),
    ]
    assert total["kind"] == "delta" and total["runs"] == 7
    assert total["requests"] == {stats: 36, cs: 4}  # 18 career lists and 18 innings lists, a page each
    assert total["crawl_delay"] == {stats: 15.0, cs: 5.0}
    assert total["eta_hours"] == {stats: round(36 * 15 / 3600, 2), cs: round(4 * 5 / 3600, 2)}
    assert total["eta_hours_max"] == 0.15
    assert total["cricsheet"] == {"reason": "no finished cricsheet run: the backfill", "host": cs}

    # a finished run written two days ago: the weekly delta and the register
    _finished_cricsheet_run(raw, "old", now - dt.timedelta(days=40))
    _finished_cricsheet_run(raw, "fresh", now - dt.timedelta(days=2))
    runs, total = _plan_lines(raw, stats, cs)
    assert runs[0] == _cricsheet_line(rid, cs, recent="7")
    assert total["requests"] == {stats: 36, cs: 2} and total["eta_hours"][cs] == round(2 * 5 / 3600, 2)
    assert total["cricsheet"]["reason"] == "the last cricsheet run fresh was written 2 days ago (at most 7)"

    # only runs older than the week: recently_added_30 covers 12 days
    (raw / "cricsheet" / "run_id=fresh" / "_manifest.json").unlink()
    _finished_cricsheet_run(raw, "stale", now - dt.timedelta(days=12))
    runs, total = _plan_lines(raw, stats, cs)
    assert runs[0] == _cricsheet_line(rid, cs, recent="30")
    assert total["cricsheet"]["reason"] == "the last cricsheet run stale was written 12 days ago (at most 30)"
    # older than 30 days: nothing but the backfill misses no match
    (raw / "cricsheet" / "run_id=stale" / "_manifest.json").unlink()
    runs, total = _plan_lines(raw, stats, cs)
    assert runs[0] == _cricsheet_line(rid, cs, archives="tests,odis,t20s")
    assert (
        total["cricsheet"]["reason"]
        == "the last cricsheet run old was written 40 days ago, over 30: the backfill"
    )

    # the DAG's two tasks: the Statsguru runs without it, Cricsheet's run alone
    runs, total = _plan_lines(raw, stats, cs, "--cricsheet", "without")
    assert [r["spider"] for r in runs] == ["statsguru"] * 2 + ["player_stats", "statsguru"] + [
        "player_stats",
        "profiles",
    ]
    assert total["requests"] == {stats: 36} and "cricsheet" not in total
    runs, total = _plan_lines(raw, stats, cs, "--cricsheet", "only")
    assert runs == [_cricsheet_line(rid, cs, archives="tests,odis,t20s")]
    assert total["requests"] == {cs: 4} and total["runs"] == 1


# ------------------------------------------------------------------------------ a replica refresh

DAY0, DAY1 = dt.date(2026, 4, 17), dt.date(2026, 4, 24)
WORLD = ["--players", "30", "--seed", "7", "--cricsheet-from", "2026"]


def _served_matches(day: dt.date) -> set[int]:
    from replica import timeline
    from replica.cricsheet import Downloads
    from replica.model import Model

    dl = Downloads(timeline.as_of(Model(30, 7), day), from_year=2026)
    return {int(dl.cs.m.matches[i].match_id) for i in dl.idxs() if dl.match_bytes(i) is not None}


def _published_matches(raw, curated, run_id: str) -> set[int]:
    from transform.ddl import current
    from transform.query import dataset

    cmd = [sys.executable, "-m", "transform.cli", "run", "--raw", str(raw), "--curated", str(curated)]
    res = subprocess.run(
        [*cmd, "--run-id", run_id, "--max-reject-ratio", "0"], cwd=REPO, capture_output=True, text=True
    )
    assert res.returncode == 0, res.stderr[-3000:]
    cur = current(curated.as_uri())
    return set(dataset("matches", cur["tables"]["matches"]).to_table().column("match_id").to_pylist())


def test_a_weekly_refresh_fetches_recently_added_7_and_publishes_the_new_matches(replica_factory, tmp_path):
    raw, curated = tmp_path / "raw", tmp_path / "curated"
    srv = replica_factory(*WORLD, "--as-of", DAY0.isoformat())
    res = _refresh(raw, DAY0, srv.url, "--cricsheet", "with", "--cricsheet-url", srv.url)
    assert res.returncode == 0, res.stderr[-3000:]
    backfill = json.loads((raw / "cricsheet" / "run_id=cricsheet-2026-04-17" / "_manifest.json").read_text())
    assert (
        backfill["arguments"]["archives"] == "tests,odis,t20s" and backfill["arguments"]["register"] == "yes"
    )
    week0 = _served_matches(DAY0)
    assert _published_matches(raw, curated, "w0") == week0
    srv.stop()

    srv = replica_factory(*WORLD, "--as-of", DAY1.isoformat())
    res = _refresh(raw, DAY1, srv.url, "--cricsheet", "with", "--cricsheet-url", srv.url)
    assert res.returncode == 0, res.stderr[-3000:]
    d = raw / "cricsheet" / "run_id=cricsheet-2026-04-24"
    manifest = json.loads((d / "_manifest.json").read_text())
    assert manifest["arguments"] == {
        "base_url": srv.url,
        "archives": "tests,odis,t20s",  # the spider's default, which `recent` replaces
        "recent": "7",
        "register": "yes",
    }
    _m, rows = read_run(d)
    fetched = {r["match_id"] for r in rows if r["record"] == "cricsheet_match"}
    assert {r["source_url"] for r in rows if r["record"] == "cricsheet_match"} == {
        f"{srv.url}/downloads/recently_added_7_json.zip"
    }
    # the week's new matches all came in recently_added_7
    week1 = _served_matches(DAY1)
    new = week1 - week0
    assert new and new <= fetched and fetched <= week1
    state = _state(raw)
    week = state["refreshes"][-1]
    assert week["refresh_id"] == "delta-2026-04-24"
    assert {"spider": "cricsheet", "run_id": "cricsheet-2026-04-24"} in week["runs"]
    assert all(r["spider"] != "cricsheet" for r in state["snapshot"])  # read by the transform by itself
    assert _published_matches(raw, curated, "w1") == week1
