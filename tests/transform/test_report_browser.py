"""The run report as a person sees it: a replica pipeline run (crawl with faults → transform, twice) opened in
Debian's headless Chromium — no console error, no request leaving the file, every chart drawn, markup from the
site shown as text, and readable on a phone's width."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.browser import CHROMIUM_LAUNCH_OPTIONS
from replica.process import FAST_CRAWL
from tests.transform.report_fixtures import HOSTILE_CELL, HOSTILE_NAME, hostile_run

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
FAST = [*FAST_CRAWL, "-s", "DOWNLOAD_TIMEOUT=3"]
CHARTS = ("chart-change", "chart-rows", "chart-timeline", "chart-runs", "chart-wickets")


def _run(cmd: list[str]) -> str:
    proc = subprocess.run(cmd, cwd=REPO, env=dict(os.environ), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, (
        f"{cmd[:2]} exited {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    )
    return proc.stdout


def _drawn(png: bytes) -> tuple[float, int]:
    """(share of pixels that are not background white, number of distinct colours) of a screenshot."""
    from PIL import Image

    im = Image.open(io.BytesIO(png)).convert("RGB")
    px = list(im.get_flattened_data()) if hasattr(im, "get_flattened_data") else list(im.getdata())
    inked = sum(1 for r, g, b in px if min(r, g, b) < 235)
    return inked / len(px), len(set(px))


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory) -> dict:
    """Two published curated runs of a replica crawled with faults: r1 (careers) and r2 (careers, innings and a
    run of hostile values), so r2's report has a previous run to compare with."""
    from tests.helpers import start_replica

    tmp = tmp_path_factory.mktemp("report")
    raw, curated = tmp / "raw", tmp / "curated"
    srv = start_replica("--players", "60", "--seed", "7", "--fault-rate", "0.05", "--stall-s", "2")
    try:
        base = ["--base-url", srv.url, "--types", "batting,bowling,fielding", "--raw", str(raw)]
        scrape = str(BIN / "cricket-scrape")
        _run(
            [
                scrape,
                "statsguru",
                *base,
                "--classes",
                "1,2,3,8,9,10",
                "--view",
                "career",
                "--run-id",
                "car1",
                *FAST,
            ]
        )
        _run(
            [scrape, "statsguru", *base, "--classes", "1,2,3", "--view", "innings", "--run-id", "inn1", *FAST]
        )
    finally:
        srv.stop()
    hostile_run(raw)
    tr = [str(BIN / "cricket-transform"), "run", "--raw", str(raw), "--curated", str(curated)]
    _run([*tr, "--raw-run", "car1", "--run-id", "r1"])
    out = _run([*tr, *("--raw-run car1 --raw-run inn1 --raw-run hostile1".split()), "--run-id", "r2",
                "--max-reject-ratio", "0.5"])  # fmt: skip
    return {"tmp": tmp, "raw": raw, "curated": curated, "summary": out}


def test_the_published_run_has_its_report_and_the_summary_names_it(pipeline):
    page = pipeline["curated"] / "_reports" / "run_id=r2" / "index.html"
    assert page.is_file()
    assert f"report: file://{page}" in pipeline["summary"]
    cur = json.loads((pipeline["curated"] / "_current.json").read_text())
    assert cur["run_id"] == "r2"
    # the crawl health the page shows came from the crawls' manifests, timeline and pace included
    (report,) = (pipeline["curated"] / "_reports" / "run_id=r2").glob("attempt=*/report.json")
    crawls = {c["run_id"]: c for c in json.loads(report.read_text())["crawl"]}
    for rid in ("car1", "inn1"):
        c = crawls[rid]
        assert c["pages_fetched"] == c["pages_known"] > 0 and c["pages_failed"] == 0
        assert c["requests_per_host"] == {"127.0.0.1": c["requests"]} and c["pace"]["autothrottle"] is False
        assert sum(c["timeline"]["requests"]) == c["requests"]
    assert crawls["hostile1"]["timeline"] is None  # written by the test, not crawled
    html = page.read_text()
    # the hostile values are in the page only escaped
    assert HOSTILE_NAME not in html and "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html
    assert "<img src=x" not in html and "<script" not in html.lower()


@pytest.mark.timeout(300)
def test_report_in_headless_chromium(pipeline):
    from playwright.sync_api import sync_playwright

    page_file = pipeline["curated"] / "_reports" / "run_id=r2" / "index.html"
    url = page_file.as_uri()
    shots = pipeline["tmp"] / "screenshots"
    shots.mkdir(exist_ok=True)
    console_errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(**CHROMIUM_LAUNCH_OPTIONS)
        try:
            ctx = browser.new_context(viewport={"width": 1280, "height": 900})
            page = ctx.new_page()
            page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda exc: console_errors.append(str(exc)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(url, wait_until="load")
            page.screenshot(path=str(shots / "report-laptop.png"), full_page=True)

            assert console_errors == []
            left = [u for u in requests if not (u == url or u.startswith("data:"))]
            assert left == [], f"requests that leave the file: {left}"

            # the script tag in a player's name is text on the page, and nothing ran
            assert page.evaluate("document.querySelectorAll('script').length") == 0
            assert page.evaluate("typeof window.__pwned") == "undefined"
            assert page.get_by_text(HOSTILE_NAME, exact=False).count() >= 1
            assert page.get_by_text(HOSTILE_CELL, exact=False).count() >= 1  # the reject's raw text

            # every chart decoded and drew something: not blank, more than a couple of colours
            for chart in CHARTS:
                img = page.locator(f"img#{chart}")
                assert img.count() == 1, f"{chart} missing"
                assert img.evaluate("i => i.complete && i.naturalWidth > 100 && i.naturalHeight > 50"), chart
                png = img.screenshot(path=str(shots / f"{chart}.png"))
                inked, colours = _drawn(png)
                assert inked > 0.02 and colours > 8, (
                    f"{chart} looks blank: {inked:.1%} inked, {colours} colours"
                )

            # a phone: the page itself never scrolls sideways (wide tables scroll in their own box)
            phone = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2)
            p2 = phone.new_page()
            p2.goto(url, wait_until="load")
            assert p2.evaluate("document.documentElement.scrollWidth") <= 390
            p2.screenshot(path=str(shots / "report-phone.png"))
        finally:
            browser.close()
    print(f"screenshots in {shots}")
