"""Every fault knob of the replica is observable from a client: faults, blocking, latency, drift, robots."""

from __future__ import annotations

import http.client
import time
import urllib.parse

import pytest

RESULTS = "/ci/engine/stats/index.html?class={c};template=results;type={t};page={p};size=25"


def fetch(url: str, timeout: float = 5.0) -> tuple[str, int | None, dict[str, str], bytes]:
    """One GET; returns (outcome, status, headers, body). Outcome: ok | reset | timeout."""
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        conn.request("GET", u.path + ("?" + u.query if u.query else ""))
        resp = conn.getresponse()
        body = resp.read()
        return "ok", resp.status, {k.lower(): v for k, v in resp.getheaders()}, body
    except (ConnectionResetError, http.client.RemoteDisconnected, BrokenPipeError):
        return "reset", None, {}, b""
    except TimeoutError:
        return "timeout", None, {}, b""
    finally:
        conn.close()


def classify(outcome: str, status: int | None, headers: dict[str, str], body: bytes) -> str:
    if outcome != "ok":
        return outcome
    if status == 503:
        return "503"
    if status == 429:
        return "429"
    if status == 200 and not body.rstrip().endswith(b"</html>"):
        return "truncated"
    return "ok" if status == 200 else f"status {status}"


def test_faults_every_kind_and_success_within_three_failures(replica_factory):
    srv = replica_factory("--players", "60", "--seed", "3", "--fault-rate", "1", "--stall-s", "1.5")
    seen: dict[str, int] = {}
    retry_after: set[str] = set()
    urls = [
        srv.url + RESULTS.format(c=c, t=t, p=p)
        for c in (1, 2, 3)
        for t in ("batting", "fielding")
        for p in (1, 2, 3, 4)
    ]
    for url in urls:
        kinds = []
        for _attempt in range(4):
            outcome, status, headers, body = fetch(url, timeout=0.6)
            kind = classify(outcome, status, headers, body)
            if kind == "429":
                retry_after.add(headers.get("retry-after", ""))
            if kind == "ok":
                break
            kinds.append(kind)
        else:
            pytest.fail(f"{url} still failing after 4 attempts: {kinds}")
        assert 1 <= len(kinds) <= 3, (url, kinds)  # fault rate 1: every URL fails at least once
        for k in kinds:
            seen[k] = seen.get(k, 0) + 1
    assert set(seen) == {"503", "429", "reset", "timeout", "truncated"}, seen
    assert retry_after == {"1"}
    # the stalled answer would come after --stall-s (1.5 s): a fresh request to a faulted-out URL is answered
    # within the 0.6 s that classifies a stall as a timeout above
    assert classify(*fetch(urls[0], timeout=0.6)) == "ok"


def test_truncated_page_is_cut_mid_table(replica_factory):
    srv = replica_factory("--players", "60", "--seed", "3", "--fault-rate", "1", "--stall-s", "1")
    for p in range(1, 60):
        url = srv.url + RESULTS.format(c=2, t="batting", p=p)
        outcome, status, headers, body = fetch(url, timeout=0.5)
        if classify(outcome, status, headers, body) == "truncated":
            text = body.decode("utf-8", "replace")
            assert "<tbody>" in text and "</tbody>" not in text and "</html>" not in text
            return
    pytest.fail("no truncated page among 59 faulty URLs")


def test_fault_rate_fraction_is_seeded_per_url(replica_factory):
    srv = replica_factory("--players", "60", "--seed", "3", "--fault-rate", "0.3", "--stall-s", "0.5")
    urls = [
        srv.url + RESULTS.format(c=c, t="batting", p=p) + f";x={i}"
        for i, (c, p) in enumerate((c, p) for c in (1, 2, 3, 9, 10) for p in range(1, 21))
    ]
    first = [classify(*fetch(u, timeout=0.3)) for u in urls]
    faulty = sum(k != "ok" for k in first)
    assert 0.15 * len(urls) <= faulty <= 0.45 * len(urls), faulty
    # the same URL always fails the same way: clean URLs stay clean
    again = [classify(*fetch(u, timeout=3)) for u, k in zip(urls, first, strict=True) if k == "ok"]
    assert set(again) == {"ok"}


def test_block_after_serves_akamai_access_denied(replica_factory):
    srv = replica_factory("--players", "60", "--seed", "3", "--block-after", "5")
    statuses = [fetch(srv.url + RESULTS.format(c=1, t="batting", p=1))[1] for _ in range(5)]
    assert statuses == [200] * 5
    for _ in range(3):
        _o, status, headers, body = fetch(
            srv.url + "/ci/engine/player/1.html?class=11;template=results;type=batting"
        )
        text = body.decode()
        assert status == 403
        assert "<TITLE>Access Denied</TITLE>" in text and "errors&#46;edgesuite&#46;net" in text
    assert fetch(srv.url + "/robots.txt")[1] == 403  # blocked means blocked


def test_latency_delays_every_answer(replica_factory):
    srv = replica_factory("--players", "60", "--seed", "3", "--latency-ms", "300")
    t0 = time.monotonic()
    assert fetch(srv.url + "/robots.txt")[1] == 200
    assert time.monotonic() - t0 >= 0.3


def test_drift_renames_headers_on_results_and_player_pages(replica_factory):
    srv = replica_factory("--players", "60", "--seed", "3", "--drift", "headers")
    body = fetch(srv.url + RESULTS.format(c=1, t="batting", p=1))[3].decode()
    assert ">Avg</th>" in body and ">Ave</th>" not in body
    body = fetch(srv.url + RESULTS.format(c=1, t="fielding", p=1))[3].decode()
    assert ">Dis/Inn</th>" in body and ">D/I</th>" not in body
    assert ">Dismissals</th>" in body and ">Dis</th>" not in body
    body = fetch(srv.url + RESULTS.format(c=2, t="bowling", p=1) + ";view=innings")[3].decode()
    assert ">Match Date</th>" in body and ">Start Date</th>" not in body
    pid = body.split("/ci/content/player/")[1].split(".html")[0]
    page = fetch(srv.url + f"/ci/engine/player/{pid}.html?class=11;template=results;type=batting")[3].decode()
    assert ">Avg</th>" in page and "Avg</a></th>" in page and ">Ave<" not in page


def test_robots_open_and_strict(replica_factory, replica_300):
    assert fetch(replica_300.url + "/robots.txt")[3].decode() == "User-agent: *\nAllow: /\n"
    srv = replica_factory("--players", "60", "--seed", "3", "--robots", "strict")
    assert fetch(srv.url + "/robots.txt")[3].decode() == (
        "User-agent: *\nCrawl-delay: 15\nDisallow: /*template=results\nDisallow: /*wrappertype=print\n"
    )
