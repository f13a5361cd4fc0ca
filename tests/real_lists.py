"""A test server (not the replica) that serves the real results-list rows of tests/fixtures/real/lists/ as pages.

Pages are shaped as SITE-NOTES.md describes real results lists: a query-menu engineTable, then one holding
"Page N of M", then the data table with the real column set (`Player Runs Mins BF 4s 6s SR Inns · Opposition Ground
Start Date ·`: an untitled spacer after Inns and the untitled match link). The files dropped the two untitled
columns and wrote `-` as empty, so the server puts both back. They hold no player or match ids either: a player
is numbered by their cell (name and team), a match by date, ground, the two sides and the player's n-th innings
there on that day (T20I double-headers share all the rest); the ids are the server's, the cells are real.
Run `python -m tests.real_lists` to serve it by hand.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import re
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote_plus, urlparse

from cricket_contract.columns import list_row
from cricket_contract.vocabulary import MATCH_LABEL_BY_CLASS

LISTS = Path(__file__).resolve().parent / "fixtures" / "real" / "lists"
FILES = {
    8: "statsguru_results_class8_batting_innings_2017_rows.csv",
    10: "statsguru_results_class10_batting_innings_2017_rows.csv",
}
NO_RECORDS = "No records available to match this query"
SIZES = (10, 25, 50, 100, 150, 200)
TEAM = re.compile(r"\(([^()]*)\)$")


@dataclass
class RealRow:
    """One real row with the ids the server gives it."""

    cells: dict[str, str]  # header → the file's cell ("-" for empty), the real text
    player_id: int
    match_id: int
    label: str  # "WTest # 17"


@dataclass
class RealList:
    klass: int
    rows: list[RealRow] = field(default_factory=list)


def load(klass: int, path: Path | None = None) -> RealList:
    """The rows of one real list, in the file's (the site's) order, with server-made player and match ids."""
    path = path or LISTS / FILES[klass]
    with path.open(encoding="utf-8", newline="") as f:
        raw = list(csv.DictReader(f))
    players = {cell: 100_000 + i for i, cell in enumerate(sorted({r["Player"] for r in raw}))}
    seen: dict[tuple, int] = {}
    keys = []
    for r in raw:
        side = TEAM.search(r["Player"]).group(1)
        match = (r["Start Date"], r["Ground"], side, r["Opposition"])
        n = seen[(r["Player"], *match, r["Inns"])] = seen.get((r["Player"], *match, r["Inns"]), 0) + 1
        keys.append((*match, n))
    # numbered in date order, as the site numbers its matches
    numbers = {k: i + 1 for i, k in enumerate(sorted(set(keys), key=lambda k: (_date(k[0]), k)))}
    out = RealList(klass)
    label = MATCH_LABEL_BY_CLASS[klass]
    for r, key in zip(raw, keys, strict=True):
        cells = {h: (v if v.strip() else "-") for h, v in r.items()}
        num = numbers[key]
        out.rows.append(
            RealRow(cells, players[r["Player"]], 900_000 + klass * 10_000 + num, f"{label} # {num}")
        )
    return out


def _date(text: str) -> dt.date:
    return dt.datetime.strptime(text, "%d %b %Y").date()


def _query(path: str) -> dict[str, str]:
    q = urlparse(path).query.replace("&", ";")
    return {
        unquote_plus(k).lower(): unquote_plus(v) for k, _, v in (p.partition("=") for p in q.split(";") if p)
    }


def page(lst: RealList, page_no: int, size: int, base: str, shape: Shape | None = None) -> str:
    """A results page of the list: query menu, "Page N of M", the data table (or the no-records table).
    `shape` serves another header row than the real one (columns left out, renamed, or new)."""
    headers = list_row(lst.klass, "batting", "innings")
    if shape is not None:
        headers = shape.headers(headers)
    pages = max(1, -(-len(lst.rows) // size))
    start = (page_no - 1) * size
    out = [
        "<!DOCTYPE html><html><head><title>Batting records | Cricinfo Statsguru | ESPNcricinfo.com</title></head>",
        '<body><table class="engineTable"><tr class="data2"><td class="left"><b>Records type</b> batting '
        'analysis</td></tr><tr class="data2"><td class="left"><b>View</b> innings by innings list</td></tr></table>',
    ]
    if start >= len(lst.rows):
        out.append(f'<table class="engineTable"><tr class="data1"><td>{NO_RECORDS}</td></tr></table>')
    else:
        end = min(len(lst.rows), start + size)
        nxt = f' <a href="{base};page={page_no + 1};size={size}">Next</a>' if page_no < pages else ""
        out.append(
            f'<table class="engineTable"><tr class="data2"><td class="left" colspan="{len(headers)}">'
            f"<b>Page {page_no} of {pages}</b> &nbsp;Showing {start + 1} - {end} of {len(lst.rows)}{nxt}</td></tr></table>"
        )
        out.append(
            '<table class="engineTable"><caption>Innings by innings list</caption><thead><tr class="headlinks">'
        )
        out.extend(f"<th>{html.escape(h)}</th>" for h in headers)
        out.append("</tr></thead><tbody>")
        for row in lst.rows[start:end]:
            out.append('<tr class="data1">')
            for i, h in enumerate(headers):
                if h == "Player":
                    out.append(
                        f'<td class="left" nowrap="nowrap"><a href="/ci/content/player/{row.player_id}.html" '
                        f'class="data-link">{html.escape(row.cells["Player"])}</a></td>'
                    )
                elif h:
                    text = shape.cell(h, row) if shape is not None else row.cells[h]
                    out.append(f"<td>{html.escape(text)}</td>")
                elif headers[i - 1] == "Inns":
                    out.append("<td></td>")  # the untitled spacer
                else:
                    out.append(
                        f'<td nowrap="nowrap"><a href="/ci/engine/match/{row.match_id}.html" '
                        f'title="view the scorecard for this row">{row.label}</a></td>'
                    )
            out.append("</tr>")
        out.append("</tbody></table>")
    out.append("</body></html>")
    return "".join(out)


@dataclass
class Shape:
    """Another header row for the real rows: `drop` columns left out, `rename` {real header: shown one} (the
    cells stay the real ones), `add` {new header: its cell} inserted before `Opposition`."""

    drop: tuple[str, ...] = ()
    rename: dict[str, str] = field(default_factory=dict)
    add: dict[str, str] = field(default_factory=dict)

    def headers(self, real: tuple[str, ...]) -> tuple[str, ...]:
        out: list[str] = []
        for h in real:
            if h == "Opposition":
                out += self.add
            if h not in self.drop:
                out.append(self.rename.get(h, h))
        return tuple(out)

    def cell(self, shown: str, row: RealRow) -> str:
        if shown in self.add:
            return self.add[shown]
        real = {v: k for k, v in self.rename.items()}.get(shown, shown)
        return row.cells[real]


class RealListsServer:
    """The two real lists on 127.0.0.1, in this process (a thread); `url`, `lists`, `stop()`. `shape`: serve
    them with another header row (tests of the crawler's header policy)."""

    def __init__(self, lists: dict[int, RealList] | None = None, shape: Shape | None = None) -> None:
        self.lists = lists if lists is not None else {k: load(k) for k in FILES}
        self.shape = shape
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
                server.requests.append(self.path)
                status, body, kind = server.answer(self.path)
                data = body.encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def answer(self, path: str) -> tuple[int, str, str]:
        if path == "/robots.txt":
            return 200, "User-agent: *\nAllow: /\n", "text/plain"
        q = _query(path)
        if not path.startswith("/ci/engine/stats/index.html") or q.get("template") != "results":
            return 404, "not served", "text/plain"
        try:
            klass, size, page_no = int(q.get("class", "")), int(q.get("size") or 50), int(q.get("page") or 1)
        except ValueError:
            return 404, "bad query", "text/plain"
        if (
            klass not in self.lists
            or q.get("type") != "batting"
            or q.get("view") != "innings"
            or size not in SIZES
        ):
            return 404, "only the real batting innings lists of classes 8 and 10 are served", "text/plain"
        base = f"/ci/engine/stats/index.html?class={klass};template=results;type=batting;view=innings"
        body = page(self.lists[klass], max(1, page_no), size, base, self.shape)
        return 200, body, "text/html; charset=utf-8"

    def rows(self) -> Iterator[tuple[int, RealRow]]:
        for klass, lst in self.lists.items():
            for row in lst.rows:
                yield klass, row

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


if __name__ == "__main__":
    srv = RealListsServer()
    print(f"serving {srv.url}", flush=True)
    try:
        srv.thread.join()
    except KeyboardInterrupt:
        srv.stop()
        sys.exit(0)
