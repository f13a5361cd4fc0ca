"""Spider `profiles` end to end on the replica: fast path and Chromium both equal the players truth; broken pages fail cleanly."""

from __future__ import annotations

import asyncio
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest
from scrapy.http import TextResponse
from scrapy.utils.test import get_crawler

from crawler.rawread import iter_items, read_manifest
from crawler.spiders.profiles import ATHLETE_GIVE_UP_AFTER, ProfilesSpider
from cricket_contract.profiles import next_data_player, parse_raw
from tests.helpers import REPO, start_replica

PLAYERS = "300"
SEED = "7"
# Our own loopback site: no politeness delays, enough concurrency to keep the tests short.
FAST = [
    "-s",
    "AUTOTHROTTLE_ENABLED=False",
    "-s",
    "DOWNLOAD_DELAY=0",
    "-s",
    "CONCURRENT_REQUESTS=16",
    "-s",
    "CONCURRENT_REQUESTS_PER_DOMAIN=16",
    "-s",
    "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT=8",
    "-s",
    "LOG_LEVEL=INFO",
]
COMPARED = (
    "full_name",
    "date_of_birth",
    "gender",
    "batting_style",
    "bowling_style",
    "playing_role",
    "country",
)


def _scrape_bin() -> str:
    local = REPO / ".venv" / "bin" / "cricket-scrape"
    return str(local) if local.exists() else (shutil.which("cricket-scrape") or "cricket-scrape")


def scrape(
    url: str, ids, raw: Path, run_id: str, *extra: str, timeout: float = 600
) -> subprocess.CompletedProcess:
    cmd = [
        _scrape_bin(),
        "profiles",
        "--base-url",
        url,
        "--player-ids",
        ",".join(map(str, ids)),
        "--raw",
        raw.as_uri(),
        "--run-id",
        run_id,
        *FAST,
        *extra,
    ]
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=timeout)


def scrapy_stat(proc: subprocess.CompletedProcess, key: str) -> int | None:
    """A counter from the stats Scrapy dumps to the log at the end of a crawl (None when absent)."""
    m = re.search(rf"'{re.escape(key)}': (\d+)", proc.stderr)
    return int(m.group(1)) if m else None


def run_uri(raw: Path, run_id: str) -> str:
    return f"{raw.as_uri()}/profiles/run_id={run_id}"


@pytest.fixture(scope="module")
def truth(tmp_path_factory) -> dict[int, dict]:
    out = tmp_path_factory.mktemp("truth")
    subprocess.run(
        [sys.executable, "-m", "replica", "truth", "--players", PLAYERS, "--seed", SEED, "--out", str(out)],
        cwd=REPO,
        check=True,
    )
    rows = [json.loads(line) for line in (out / "players.jsonl").read_text().splitlines() if line.strip()]
    assert len(rows) == int(PLAYERS)
    return {r["player_id"]: r for r in rows}


@pytest.fixture(scope="module")
def replica_js():
    """300 players, a fifth of them with details only the browser can render (sparse athlete JSON, no __NEXT_DATA__)."""
    srv = start_replica("--players", PLAYERS, "--seed", SEED, "--js-only-profiles", "0.2")
    yield srv
    srv.stop()


def assert_equals_truth(items: list[dict], truth: dict[int, dict]) -> None:
    mismatches = []
    for item in items:
        profile = parse_raw(item["source"], item["data"], item["source_url"])
        assert profile.player_id == item["player_id"]
        want = truth[item["player_id"]]
        got = {f: getattr(profile, f) for f in COMPARED}
        exp = {f: want[f] for f in COMPARED}
        # Teams and the Statsguru-style name are compared where the source shows them.
        if profile.teams is not None:
            got["teams"], exp["teams"] = profile.teams, want["teams"]
        if profile.name is not None:
            got["name"], exp["name"] = profile.name, want["name"]
        if got != exp:
            mismatches.append((item["player_id"], item["source"], got, exp))
    assert not mismatches, f"{len(mismatches)} profiles differ from truth, e.g. {mismatches[:3]}"


def _page(url: str, player_id: int) -> str:
    return urllib.request.urlopen(f"{url}/ci/content/player/{player_id}.html").read().decode("utf-8")


def check_lineage(items: list[dict], run_id: str) -> None:
    for item in items:
        assert item["record"] == "profile" and item["spider"] == "profiles" and item["run_id"] == run_id
        assert item["scraped_at"].endswith("Z") and item["source_url"].startswith("http://127.0.0.1:")


def test_fast_path_equals_truth(replica_300, truth, tmp_path):
    """render=auto on the replica: the athlete JSON for every player, one request each, no browser."""
    proc = scrape(replica_300.url, sorted(truth), tmp_path, "fast", "-a", "render=auto")
    assert proc.returncode == 0, proc.stderr[-3000:]
    items = list(iter_items(run_uri(tmp_path, "fast")))
    assert sorted(i["player_id"] for i in items) == sorted(truth)
    assert {i["source"] for i in items} == {"athlete_json"}
    assert_equals_truth(items, truth)
    check_lineage(items, "fast")
    manifest = read_manifest(run_uri(tmp_path, "fast"))
    assert manifest["finish_reason"] == "finished"
    stats = manifest["stats"]
    assert stats["cricket/profiles/source/athlete_json"] == len(truth)
    assert stats["downloader/request_count"] == len(truth) + 1  # and robots.txt
    assert scrapy_stat(proc, "playwright/browser_count") is None  # no browser on the fast path


def test_incomplete_athlete_json_goes_to_the_profile_page(real_fixtures):
    """The real athlete JSON is kept verbatim; without a field the profile needs, the profile page is next."""
    crawler = get_crawler(ProfilesSpider, {"CRICKET_BASE_URL": "https://www.espncricinfo.com"})
    spider = ProfilesSpider.from_crawler(crawler, player_ids="253802", render="auto")
    crawler.spider = spider

    async def start() -> list:
        return [r async for r in spider.start()]

    (request,) = asyncio.run(start())
    assert request.url == "http://core.espnuk.org/v2/sports/cricket/athletes/253802"
    assert request.meta["cricket_optional"] is True  # robots.txt refusing it is no block
    doc = json.loads((real_fixtures / "espn_core_athlete_253802_virat_kohli.json").read_text())

    def answer(body: dict) -> list:
        response = TextResponse(request.url, body=json.dumps(body).encode(), request=request)
        return list(spider.parse_athlete(response, **request.cb_kwargs))

    (page,) = answer(doc)  # a profile travels as a RawRows of one row, like a page's records
    (item,) = page.rows
    assert page.source_url == request.url
    assert (item["record"], item["player_id"], item["source"], item["data"]) == (
        "profile",
        253802,
        "athlete_json",
        doc,
    )
    del doc["position"]  # no playing role
    (next_request,) = answer(doc)
    assert next_request.url == "https://www.espncricinfo.com/ci/content/player/253802.html"
    assert next_request.callback == spider.parse_profile
    assert crawler.stats.get_value("cricket/profiles/athlete_json_incomplete") == 1


def test_render_always_equals_truth(replica_js, truth, tmp_path):
    """render=always: every profile through Debian Chromium, parsed from the rendered DOM."""
    proc = scrape(replica_js.url, sorted(truth), tmp_path, "always", "-a", "render=always")
    assert proc.returncode == 0, proc.stderr[-3000:]
    items = list(iter_items(run_uri(tmp_path, "always")))
    assert sorted(i["player_id"] for i in items) == sorted(truth)
    assert {i["source"] for i in items} == {"rendered"}
    assert_equals_truth(items, truth)
    check_lineage(items, "always")
    stats = read_manifest(run_uri(tmp_path, "always"))["stats"]
    assert stats["cricket/profiles/source/rendered"] == len(truth)
    assert scrapy_stat(proc, "playwright/browser_count") == 1  # one browser, pages reused per lane
    assert scrapy_stat(proc, "playwright/page_count") <= 8


def test_auto_renders_only_what_the_json_lacks(replica_js, truth, tmp_path):
    """render=auto sends to the browser exactly the players whose athlete JSON and page both lack the data."""
    ids = sorted(truth)[:60]
    proc = scrape(replica_js.url, ids, tmp_path, "auto", "-a", "render=auto")
    assert proc.returncode == 0, proc.stderr[-3000:]
    items = list(iter_items(run_uri(tmp_path, "auto")))
    assert sorted(i["player_id"] for i in items) == ids
    assert_equals_truth(items, truth)
    rendered = sorted(i["player_id"] for i in items if i["source"] == "rendered")
    js_only = [pid for pid in ids if next_data_player(_page(replica_js.url, pid)) is None]
    assert rendered == js_only and 0 < len(rendered) < len(items)
    assert {i["source"] for i in items} == {"athlete_json", "rendered"}
    stats = read_manifest(run_uri(tmp_path, "auto"))["stats"]
    assert (
        stats["cricket/profiles/athlete_json_incomplete"]
        == stats["cricket/profiles/no_next_data"]
        == stats["cricket/profiles/render_fallback"]
        == len(rendered)
    )


def test_next_data_when_the_athlete_json_is_unavailable(replica_js, truth, tmp_path):
    """render=never without the athlete JSON: __NEXT_DATA__ where the page has it, else a counted failure.

    After ATHLETE_GIVE_UP_AFTER failures in a row the players still to come skip the athlete JSON."""
    ids = sorted(truth)[:80]
    proc = scrape(
        replica_js.url,
        ids,
        tmp_path,
        "never",
        "-a",
        "render=never",
        "-a",
        f"athlete_base_url={replica_js.url}/gone",
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    manifest = read_manifest(run_uri(tmp_path, "never"))
    stats = manifest["stats"]
    items = list(iter_items(run_uri(tmp_path, "never")))
    assert {i["source"] for i in items} == {"next_data"}
    assert_equals_truth(items, truth)
    js_only = [pid for pid in ids if next_data_player(_page(replica_js.url, pid)) is None]
    assert sorted(i["player_id"] for i in items) == sorted(set(ids) - set(js_only))
    tried, skipped = (
        stats["cricket/profiles/athlete_json_failed"],
        stats["cricket/profiles/athlete_json_skipped"],
    )
    # start() keeps at most 3 × CONCURRENT_REQUESTS (48) athlete requests unanswered: no more were
    # out when the tenth 404 came back.
    assert tried + skipped == len(ids) and ATHLETE_GIVE_UP_AFTER <= tried <= ATHLETE_GIVE_UP_AFTER + 48
    assert proc.stderr.count("the athlete JSON failed for 10 players in a row") == 1
    assert (
        stats["cricket/profiles/failed"] == stats["cricket/profiles/failed/no_next_data"] == len(js_only) > 0
    )
    assert scrapy_stat(proc, "playwright/browser_count") is None
    assert "scrapy-playwright" not in proc.stderr  # render=never does not even load the handler


class _DisallowAll(http.server.BaseHTTPRequestHandler):
    """An API host whose robots.txt refuses every client; anything else it answers is never asked for."""

    def do_GET(self):  # noqa: N802 (http.server's name)
        body = b"User-agent: *\nDisallow: /\n" if self.path == "/robots.txt" else b"{}"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_athlete_host_refused_by_robots_is_no_block(replica_300, truth, tmp_path):
    """robots.txt of the athlete JSON's host disallows it: the profile pages stand in, the run finishes."""
    api = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _DisallowAll)
    threading.Thread(target=api.serve_forever, daemon=True).start()
    ids = sorted(truth)[:20]
    try:
        proc = scrape(
            replica_300.url,
            ids,
            tmp_path,
            "refused",
            "-a",
            "render=never",
            "-a",
            f"athlete_base_url=http://127.0.0.1:{api.server_port}",
        )
    finally:
        api.shutdown()
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stderr.count("robots.txt of 127.0.0.1:") == 1  # said once, not per player
    manifest = read_manifest(run_uri(tmp_path, "refused"))
    assert manifest["finish_reason"] == "finished"
    stats = manifest["stats"]
    refused = stats["cricket/robots_refused_optional"]
    assert refused == stats["cricket/profiles/athlete_json_failed"] >= ATHLETE_GIVE_UP_AFTER
    assert refused + stats.get("cricket/profiles/athlete_json_skipped", 0) == len(ids)
    items = list(iter_items(run_uri(tmp_path, "refused")))
    assert sorted(i["player_id"] for i in items) == ids and {i["source"] for i in items} == {"next_data"}
    assert_equals_truth(items, truth)


def test_broken_profile_fails_after_retries_and_crawl_finishes(truth, tmp_path):
    """A page whose script throws never shows the selector: retried, then failed and counted; the run finishes."""
    srv = start_replica("--players", PLAYERS, "--seed", SEED, "--broken-profiles", "0.1")
    try:
        ids = sorted(truth)[:40]
        broken = []
        for pid in ids:
            html = urllib.request.urlopen(f"{srv.url}/ci/content/player/{pid}.html").read().decode("utf-8")
            if next_data_player(html) is None:
                broken.append(pid)
        assert broken, "the replica's --broken-profiles 0.1 left no broken page among the first 40 players"
        proc = scrape(
            srv.url,
            ids,
            tmp_path,
            "broken",
            "-a",
            "render=always",
            "-a",
            "render_timeout_ms=1500",
            "-s",
            "RETRY_TIMES=1",
        )
    finally:
        srv.stop()
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "profile of player" in proc.stderr and "render_timeout" in proc.stderr
    manifest = read_manifest(run_uri(tmp_path, "broken"))
    stats = manifest["stats"]
    assert manifest["finish_reason"] == "finished"
    assert stats["cricket/profiles/failed"] == stats["cricket/profiles/failed/render_timeout"] == len(broken)
    # Each broken page was tried twice (RETRY_TIMES=1) before it was given up.
    assert stats["retry/count"] == stats["retry/max_reached"] == len(broken)
    assert scrapy_stat(proc, "retry/reason_count/playwright/TimeoutError") == len(broken)
    items = list(iter_items(run_uri(tmp_path, "broken")))
    assert sorted(i["player_id"] for i in items) == sorted(set(ids) - set(broken))
    assert_equals_truth(items, truth)


def test_scrapy_check_profiles(replica_300, tmp_path):
    """The callbacks' contracts (`scrapy check profiles`) hold on the replica."""
    res = subprocess.run(
        [sys.executable, "-m", "scrapy", "check", "profiles"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "CRICKET_CONTRACT_BASE_URL": replica_300.url, "CRICKET_RAW_URI": str(tmp_path)},
    )
    assert res.returncode == 0, res.stderr[-3000:]
    # Per callback: @returns items, @rows, @returns requests, @row_fields (a profile is a RawRows of one row).
    assert "Ran 8 contracts" in res.stderr and "OK" in res.stderr


def test_from_raw_takes_every_player_of_a_run(replica_300, truth, tmp_path):
    ids = sorted(truth)[:5]
    first = scrape(replica_300.url, ids, tmp_path, "seed-run", "-a", "render=never")
    assert first.returncode == 0, first.stderr[-3000:]
    cmd = [
        _scrape_bin(),
        "profiles",
        "--base-url",
        replica_300.url,
        "--from-raw",
        run_uri(tmp_path, "seed-run"),
        "--raw",
        tmp_path.as_uri(),
        "--run-id",
        "from-raw",
        *FAST,
        "-a",
        "render=never",
    ]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    items = list(iter_items(run_uri(tmp_path, "from-raw")))
    assert sorted(i["player_id"] for i in items) == ids
    assert read_manifest(run_uri(tmp_path, "from-raw"))["arguments"]["from_raw"] == run_uri(
        tmp_path, "seed-run"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--player-ids", "1", "-a", "render=sometimes"], "render='sometimes'"),
        (["--player-ids", "12,x"], "'x' is not a player id"),
        ([], "needs player_ids"),
    ],
)
def test_bad_arguments_exit_1_with_a_clear_message(tmp_path, args, message):
    cmd = [_scrape_bin(), "profiles", "--base-url", "http://127.0.0.1:9", "--raw", tmp_path.as_uri(), *args]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert message in proc.stderr
    assert not list(tmp_path.rglob("_manifest.json"))


@pytest.mark.parametrize("render", ["auto", "always"])
def test_faults_are_retried_on_both_paths(truth, tmp_path, render):
    """503, 429, resets, stalls and truncated pages (`--fault-rate 0.1`): every profile still equals truth."""
    srv = start_replica(
        "--players",
        PLAYERS,
        "--seed",
        SEED,
        "--fault-rate",
        "0.1",
        "--stall-s",
        "10",
        "--js-only-profiles",
        "0.2",
    )
    try:
        ids = sorted(truth)[:60]
        proc = scrape(
            srv.url,
            ids,
            tmp_path,
            render,
            "-a",
            f"render={render}",
            "-a",
            "render_timeout_ms=3000",
            "-s",
            "DOWNLOAD_TIMEOUT=3",
            "-s",
            "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT=3000",
        )
    finally:
        srv.stop()
    assert proc.returncode == 0, proc.stderr[-3000:]
    items = list(iter_items(run_uri(tmp_path, render)))
    assert sorted(i["player_id"] for i in items) == ids
    assert_equals_truth(items, truth)
    stats = read_manifest(run_uri(tmp_path, render))["stats"]
    assert stats["retry/count"] > 0 and "cricket/profiles/failed" not in stats


@pytest.mark.parametrize("render", ["never", "always"])
def test_block_stops_the_crawl_with_exit_2(truth, tmp_path, render):
    """An Akamai-style 403 (`--block-after 30`) stops fast and rendered crawls alike: exit 2, no manifest."""
    srv = start_replica("--players", PLAYERS, "--seed", SEED, "--block-after", "30")
    try:
        proc = scrape(srv.url, sorted(truth)[:80], tmp_path, render, "-a", f"render={render}")
    finally:
        srv.stop()
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert "blocked: HTTP 403 Access Denied" in proc.stderr
    assert not list(tmp_path.rglob("_manifest.json"))


def test_missing_chromium_is_a_clear_stop(replica_300, truth, tmp_path, monkeypatch):
    """Without a browser, render=always stops (exit 1, no manifest) instead of finishing with failed items."""
    monkeypatch.setenv("CRICKET_CHROMIUM", str(tmp_path / "no-chromium-here"))
    proc = scrape(replica_300.url, sorted(truth)[:10], tmp_path, "nochrome", "-a", "render=always")
    assert proc.returncode == 1
    assert "Chromium could not start" in proc.stderr and "browser_unavailable" in proc.stderr
    assert not list(tmp_path.rglob("_manifest.json"))
