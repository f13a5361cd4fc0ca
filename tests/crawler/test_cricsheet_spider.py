"""Spider `cricsheet`: the parse functions on the real Cricsheet files, and a crawl of zips and people.csv
served with validators (one record per match and per person; an unchanged archive costs one 304)."""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from aiohttp import web

from crawler.pages import cricsheet as page
from crawler.pages.tables import LayoutDrift
from cricket_contract.records import RecordError, natural_key, validate
from replica.cricsheet_http import StaticFiles, build_zip
from tests.helpers import REPO, free_port

MATCHES = {"1249875": "test", "1086066": "test", "1403290": "t20", "1260097": "t20"}
# people.csv's real header; the rows are built from the real files' registries (ids as Cricsheet has them).
PEOPLE_HEADER = (
    "identifier,name,unique_name,key_bcci,key_bcci_2,key_bigbash,key_cricbuzz,key_cricheroes,key_crichq,"
    "key_cricinfo,key_cricinfo_2,key_cricingif,key_cricketarchive,key_cricketarchive_2,key_nvplay,"
    "key_nvplay_2,key_opta,key_opta_2,key_pulse,key_pulse_2"
)


@pytest.fixture(scope="module")
def real(real_fixtures) -> Path:
    return real_fixtures / "cricsheet"


def test_every_real_match_file_is_one_valid_record(real):
    for mid in MATCHES:
        raw = (real / f"{mid}.json").read_bytes()
        rec = page.match_record("tests", f"{mid}.json", raw, "https://cricsheet.org/downloads/tests_json.zip")
        validate(rec)
        assert rec["match_id"] == int(mid)
        assert rec["data"] == json.loads(raw)  # verbatim: every key and value as published
        assert natural_key(rec) == ("cricsheet_match", int(mid))
    versions = {
        mid: page.match_record("x", f"{mid}.json", (real / f"{mid}.json").read_bytes(), "u")["data_version"]
        for mid in MATCHES
    }
    assert versions == {"1249875": "1.0.0", "1086066": "1.0.0", "1403290": "1.1.0", "1260097": "1.0.0"}


def test_a_member_that_is_not_a_match_file_is_a_member_error(real):
    with pytest.raises(page.MemberError, match="not JSON"):
        page.match_record("tests", "1.json", b"{cut off", "u")
    with pytest.raises(page.MemberError, match="no meta"):
        page.match_record("tests", "1.json", b'{"info": {}, "innings": []}', "u")
    with pytest.raises(page.MemberError, match="<match id>.json"):
        page.match_record("tests", "notes.json", (real / "1403290.json").read_bytes(), "u")
    rec = page.match_record("tests", "1403290.json", (real / "1403290.json").read_bytes(), "u")
    rec["match_id"] = 0
    with pytest.raises(RecordError) as exc:
        validate(rec)
    assert exc.value.problem == "out_of_range"


def test_the_real_readme_lists_184_matches(real):
    listed = page.parse_readme((real / "README_recently_added_30.txt").read_text())
    assert len(listed) == 184
    first = listed[0]
    assert first == page.Listed(
        "2023-11-22", "club", "WBB", "female", 1387221, ("Melbourne Stars", "Perth Scorchers")
    )
    assert {x.match_type for x in listed} >= {"T20", "ODI"}
    assert len({x.match_id for x in listed}) == 184


def registry_people(real: Path) -> list[tuple[str, str]]:
    people = {}
    for mid in MATCHES:
        reg = json.loads((real / f"{mid}.json").read_text())["info"]["registry"]["people"]
        people.update({ident: name for name, ident in reg.items()})
    return sorted(people.items())


def people_csv(real: Path) -> str:
    lines = [PEOPLE_HEADER]
    for n, (ident, name) in enumerate(registry_people(real)):
        cells = [""] * 20
        cells[0], cells[1], cells[2] = ident, name, name
        if n % 5 == 0:
            cells[10] = str(900000 + n)  # only key_cricinfo_2
        else:
            cells[9] = str(100000 + n)
        lines.append(",".join(cells))
    return "\n".join(lines) + "\n"


def test_people_csv_rows_keep_every_cell_by_header(real):
    text = people_csv(real)
    rows = page.parse_people(text, "https://cricsheet.org/register/people.csv")
    assert len(rows) == len(registry_people(real)) > 100
    for row in rows:
        validate(row)
    first = rows[0]
    assert first["cells"]["key_cricinfo_2"] == "900000" and first["cells"]["key_cricinfo"] is None
    assert set(first["cells"]) == set(PEOPLE_HEADER.split(","))
    with pytest.raises(LayoutDrift, match="key_cricinfo"):
        page.parse_people("identifier,name\nab12,X\n", "u")


# ------------------------------------------------------------------ a crawl over HTTP


async def robots(request: web.Request) -> web.Response:
    return web.Response(text="User-agent: *\nAllow: /\n")


class Site:
    """Static Cricsheet downloads on 127.0.0.1, in a thread with its own event loop."""

    def __init__(self, files: StaticFiles) -> None:
        self.files = files
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        assert self.ready.wait(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        app = web.Application()
        app.router.add_get("/robots.txt", robots)
        app.router.add_get("/{tail:.*}", self.files.handle)
        self.runner = web.AppRunner(app)
        self.loop.run_until_complete(self.runner.setup())
        self.loop.run_until_complete(web.TCPSite(self.runner, "127.0.0.1", self.port).start())
        self.ready.set()
        self.loop.run_forever()

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture(scope="module")
def site(real):
    def archive(kind: str, extra: list[tuple[str, bytes]] = ()):
        ids = [m for m, k in MATCHES.items() if k == kind]
        return lambda: build_zip(
            [(f"{m}.json", (real / f"{m}.json").read_bytes()) for m in ids] + list(extra),
            [f"2021-01-01 - international - X - male - {m} - A vs B" for m in ids],
        )

    files = StaticFiles(
        {
            "/downloads/tests_json.zip": archive("test"),
            "/downloads/t20s_json.zip": archive("t20", [("99.json", b"{not json")]),
            "/register/people.csv": lambda: people_csv(real).encode(),
        },
        modified_at=1_700_000_000,
    )
    srv = Site(files)
    yield srv
    srv.stop()


FAST = ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0"]


def scrape(*args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "crawler.cli", "cricsheet", *args, *FAST]
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300, env=os.environ.copy())


def read_rows(run: Path) -> list[dict]:
    rows = []
    for part in sorted(run.glob("part-*.jsonl.gz")):
        with gzip.open(part, "rt") as fh:
            rows += [json.loads(line) for line in fh]
    return rows


def test_a_crawl_stores_every_match_and_person_then_costs_one_304_per_download(site, real, tmp_path):
    raw = tmp_path / "raw"
    args = ["--base-url", site.url, "--archives", "tests,t20s", "--raw", str(raw)]
    first = scrape(*args, "--run-id", "r1")
    assert first.returncode == 0, first.stderr[-3000:]
    run = raw / "cricsheet" / "run_id=r1"
    manifest = json.loads((run / "_manifest.json").read_text())
    rows = read_rows(run)
    matches = {r["match_id"]: r for r in rows if r["record"] == "cricsheet_match"}
    people = [r for r in rows if r["record"] == "cricsheet_person"]
    assert sorted(matches) == sorted(int(m) for m in MATCHES)
    assert len(people) == len(registry_people(real))
    for mid, rec in matches.items():
        assert rec["data"] == json.loads((real / f"{mid}.json").read_text())
        assert rec["archive"] == ("tests" if MATCHES[str(mid)] == "test" else "t20s")
        assert rec["member"] == f"{mid}.json" and rec["run_id"] == "r1" and rec["spider"] == "cricsheet"
    assert manifest["items"] == {"cricsheet_match": 4, "cricsheet_person": len(people)}
    assert manifest["stats"]["cricket/cricsheet/bad_members"] == 1  # 99.json: logged, counted, skipped
    assert manifest["arguments"]["archives"] == "tests,t20s"
    validators = json.loads((raw / "_state" / "cricsheet_validators.json").read_text())["urls"]
    assert set(validators) == {
        f"{site.url}/downloads/tests_json.zip",
        f"{site.url}/downloads/t20s_json.zip",
        f"{site.url}/register/people.csv",
    }
    assert {v["run_id"] for v in validators.values()} == {"r1"}

    second = scrape(*args, "--run-id", "r2")
    assert second.returncode == 0, second.stderr[-3000:]
    manifest2 = json.loads((raw / "cricsheet" / "run_id=r2" / "_manifest.json").read_text())
    assert manifest2["items"] == {} and manifest2["parts"] == []
    assert manifest2["stats"]["cricket/cricsheet/not_modified"] == 3
    assert manifest2["stats"]["downloader/response_status_count/304"] == 3
    served = site.files.served
    assert {p: c for p, c in served.items()} == {
        "/downloads/tests_json.zip": [1, 1],
        "/downloads/t20s_json.zip": [1, 1],
        "/register/people.csv": [1, 1],
    }
    # The validators still name the run that holds the content.
    validators = json.loads((raw / "_state" / "cricsheet_validators.json").read_text())["urls"]
    assert {v["run_id"] for v in validators.values()} == {"r1"}

    # Once that run is gone, its validators no longer count: the archives come in full again.
    (run / "_manifest.json").unlink()
    third = scrape(*args, "--run-id", "r3", "--register", "no")
    assert third.returncode == 0, third.stderr[-3000:]
    manifest3 = json.loads((raw / "cricsheet" / "run_id=r3" / "_manifest.json").read_text())
    assert manifest3["items"] == {"cricsheet_match": 4}


def test_recent_fetches_the_weekly_delta_only(site, tmp_path):
    out = scrape("--base-url", site.url, "--recent", "7", "--raw", str(tmp_path), "--run-id", "w")
    # The site has no recently_added_7_json.zip: a 404 after retries leaves the run without a manifest.
    assert out.returncode == 1
    assert "recently_added_7_json.zip" in out.stderr
    assert not (tmp_path / "cricsheet" / "run_id=w" / "_manifest.json").exists()
