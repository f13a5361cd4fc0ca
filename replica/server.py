"""The aiohttp application: URL routing, the page cache, and the fault knobs (faults, blocking, latency)."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import socket
import struct
import time
from collections import OrderedDict
from dataclasses import dataclass
from urllib.parse import unquote_plus

from aiohttp import web

from replica import profiles, timeline
from replica.cricsheet import Downloads
from replica.cricsheet_http import StaticFiles
from replica.model import LAST_DATE, Model, fraction_pick
from replica.pages import DEFAULT_SIZE, MONTHS, NO_BOUNDARIES, RESULT_CLASSES, SIZES, TYPES, ListQuery, Site

HTML = "text/html; charset=utf-8"

ROBOTS_OPEN = "User-agent: *\nAllow: /\n"
ROBOTS_STRICT = (
    "User-agent: *\nCrawl-delay: 15\nDisallow: /*template=results\nDisallow: /*wrappertype=print\n"
)

ACCESS_DENIED = """<HTML><HEAD>
<TITLE>Access Denied</TITLE>
</HEAD><BODY>
<H1>Access Denied</H1>

You don't have permission to access "http&#58;&#47;&#47;stats&#46;espncricinfo&#46;com&#47;{path}" on this server.<P>
Reference&#32;&#35;18&#46;{ref}
<P>https&#58;&#47;&#47;errors&#46;edgesuite&#46;net&#47;18&#46;{ref}</P>
</BODY>
</HTML>
"""

FAULT_KINDS = ("503", "429", "reset", "stall", "truncated")


@dataclass
class Options:
    players: int = 3000
    seed: int = 7
    latency_ms: float = 0.0
    fault_rate: float = 0.0
    stall_s: float = 30.0
    block_after: int = 0
    robots: str = "open"
    drift: str = "none"
    js_only_profiles: float = 0.0
    broken_profiles: float = 0.0
    no_boundaries: frozenset[int] = NO_BOUNDARIES  # career batting lists of these classes without 4s and 6s
    as_of: dt.date | None = None  # the world as it stood that day (None: its last day)
    corrections: int = 0  # innings amended each week (replica.timeline)
    cricsheet_from: int = 2001  # Cricsheet's archives hold the matches of this year on (replica.cricsheet)
    # this fraction of Cricsheet's matches gets one run more than its scorecard
    cricsheet_perturb: float = 0.0


def parse_query(qs: str) -> dict[str, list[str]]:
    """Statsguru query strings: `;` or `&` separated, any order, keys may repeat."""
    out: dict[str, list[str]] = {}
    for part in qs.replace("&", ";").split(";"):
        if not part:
            continue
        k, _, v = part.partition("=")
        out.setdefault(unquote_plus(k).lower(), []).append(unquote_plus(v))
    return out


def _site_date(text: str) -> int:
    """`01 Jan 2020` (the span filter's `01+Jan+2020` after unquoting) → a date ordinal; ValueError otherwise."""
    parts = text.split()
    if (
        len(parts) != 3
        or parts[1][:3].title() not in MONTHS
        or not parts[0].isdigit()
        or not parts[2].isdigit()
    ):
        raise ValueError(text)
    return dt.date(int(parts[2]), MONTHS.index(parts[1][:3].title()) + 1, int(parts[0])).toordinal()


def list_query(q: dict[str, list[str]]) -> ListQuery:
    """The date filter and order of a results-list query (the span applies only with `spanval1=span`, as on the
    site); `web.HTTPBadRequest` for a date it cannot read."""
    first = last = None
    if q.get("spanval1", [""])[0] == "span":
        try:
            first = _site_date(q["spanmin1"][0]) if q.get("spanmin1", [""])[0] else None
            last = _site_date(q["spanmax1"][0]) if q.get("spanmax1", [""])[0] else None
        except ValueError as exc:
            raise web.HTTPBadRequest(text=f"unreadable span date {exc} (expected e.g. 01+Jan+2020)") from None
    return ListQuery(
        first=first,
        last=last,
        by_start=q.get("orderby", [""])[0] == "start",
        reverse=q.get("orderbyad", [""])[0] == "reverse",
    )


class PageCache:
    """LRU of rendered pages (bytes), bounded by total size."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self.d: OrderedDict[tuple, bytes] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple) -> bytes | None:
        v = self.d.get(key)
        if v is not None:
            self.d.move_to_end(key)
            self.hits += 1
        else:
            self.misses += 1
        return v

    def put(self, key: tuple, value: bytes) -> None:
        if key in self.d:
            return
        self.d[key] = value
        self.bytes += len(value)
        while self.bytes > self.max_bytes and self.d:
            _k, v = self.d.popitem(last=False)
            self.bytes -= len(v)


class Faults:
    """Seeded per-URL faults: a faulty URL fails 1–3 times (kinds drawn per attempt), then succeeds."""

    def __init__(self, seed: int, rate: float) -> None:
        self.seed = seed
        self.rate = rate
        self.attempts: dict[str, int] = {}

    def plan(self, url: str) -> list[str]:
        if self.rate <= 0:
            return []
        h = hashlib.blake2b(f"{self.seed}:fault:{url}".encode(), digest_size=16).digest()
        if int.from_bytes(h[:8], "big") / 2**64 >= self.rate:
            return []
        n = 1 + h[8] % 3
        return [FAULT_KINDS[h[9 + i] % len(FAULT_KINDS)] for i in range(n)]

    def next_fault(self, url: str) -> str | None:
        plan = self.plan(url)
        if not plan:
            return None
        k = self.attempts.get(url, 0)
        self.attempts[url] = k + 1
        return plan[k] if k < len(plan) else None


class Replica:
    def __init__(self, opts: Options, model: Model | None = None) -> None:
        self.opts = opts
        model = model or Model(opts.players, opts.seed)
        self.model = timeline.as_of(model, opts.as_of, opts.corrections)
        self.site = Site(self.model, drift=opts.drift == "headers", no_boundaries=opts.no_boundaries)
        self.cache = PageCache(512 * 1024 * 1024)
        self.faults = Faults(opts.seed, opts.fault_rate)
        self._match_index = {mid: i for i, mid in enumerate(self.site.m_id)}
        self.cricsheet = StaticFiles(
            Downloads(self.model, from_year=opts.cricsheet_from, perturb=opts.cricsheet_perturb).builders(),
            modified_at=dt.datetime.combine(self.model.as_of or LAST_DATE, dt.time(6)).timestamp(),
        )
        self.requests = 0
        self.started = time.monotonic()

    # ------------------------------------------------------------------ middleware: block, latency, faults
    @web.middleware
    async def middleware(self, request: web.Request, handler):
        self.requests += 1
        if self.opts.latency_ms > 0:
            await asyncio.sleep(self.opts.latency_ms / 1000.0)
        if self.opts.block_after and self.requests > self.opts.block_after:
            ref = hashlib.md5(f"{self.requests}".encode()).hexdigest()[:8]
            return web.Response(
                status=403,
                text=ACCESS_DENIED.format(path=request.path.lstrip("/"), ref=ref),
                content_type="text/html",
                headers={"Server": "AkamaiGHost"},
            )
        if request.path == "/robots.txt":
            return await handler(request)
        fault = self.faults.next_fault(request.path_qs)
        if fault is None:
            return await handler(request)
        if fault == "503":
            return web.Response(
                status=503,
                text="<html><body><h1>503 Service Unavailable</h1></body></html>",
                content_type="text/html",
            )
        if fault == "429":
            return web.Response(status=429, text="Too Many Requests", headers={"Retry-After": "1"})
        if fault == "reset":
            _reset(request)
            return web.Response(status=500)  # never sent: the connection is already gone
        if fault == "stall":
            await asyncio.sleep(self.opts.stall_s)
            return await handler(request)
        # truncated: a 200 whose body stops mid-table, without </html>
        resp = await handler(request)
        body = resp.body if isinstance(resp.body, bytes | bytearray) else b""
        cut = body.find(b"<tbody>")
        cut = len(body) // 2 if cut < 0 else min(len(body) - 1, cut + max(40, (len(body) - cut) // 3))
        return web.Response(status=200, body=bytes(body[:cut]), content_type="text/html", charset="utf-8")

    # ------------------------------------------------------------------ handlers
    async def robots(self, request: web.Request) -> web.Response:
        return web.Response(
            text=ROBOTS_STRICT if self.opts.robots == "strict" else ROBOTS_OPEN, content_type="text/plain"
        )

    async def stats(self, request: web.Request) -> web.Response:
        q = parse_query(request.query_string)
        try:
            cls = int(q.get("class", [""])[0])
        except ValueError:
            cls = -1
        typ = q.get("type", [""])[0]
        template = q.get("template", [""])[0]
        if cls not in RESULT_CLASSES or typ not in TYPES:
            raise web.HTTPNotFound(text=f"unknown class or type: class={q.get('class')} type={q.get('type')}")
        if template != "results":
            return web.Response(text=self._menu(cls, typ), content_type="text/html", charset="utf-8")
        view = q.get("view", [""])[0]
        view = "innings" if view == "innings" else "career"
        try:
            page = max(1, int(q.get("page", ["1"])[0] or 1))
        except ValueError:
            page = 1
        try:
            size = int(q.get("size", [str(DEFAULT_SIZE)])[0] or DEFAULT_SIZE)
        except ValueError:
            size = DEFAULT_SIZE
        if size not in SIZES:
            size = DEFAULT_SIZE
        query = list_query(q)
        key = ("results", cls, typ, view, page, size, query)
        body = self.cache.get(key)
        if body is None:
            body = self.site.results_page(cls, typ, view, page, size, query).encode()
            self.cache.put(key, body)
        return web.Response(body=body, content_type="text/html", charset="utf-8")

    async def player(self, request: web.Request) -> web.Response:
        p = self._player_index(request.match_info["pid"])
        q = parse_query(request.query_string)
        try:
            cls = int(q.get("class", ["11"])[0])
        except ValueError:
            cls = -1
        typ = q.get("type", ["batting"])[0]
        if cls not in RESULT_CLASSES or typ not in TYPES:
            raise web.HTTPNotFound(text="unknown class or type")
        innings = q.get("view", [""])[0] == "innings" and q.get("template", [""])[0] == "results"
        query = list_query(q) if innings else None
        key = ("player", p, cls, typ, innings, query)
        body = self.cache.get(key)
        if body is None:
            if innings:
                body = self.site.player_innings_page(p, cls, typ, query).encode()
            else:
                body = self.site.player_page(p, cls, typ).encode()
            self.cache.put(key, body)
        return web.Response(body=body, content_type="text/html", charset="utf-8")

    async def content_player(self, request: web.Request) -> web.Response:
        p = self._player_index(request.match_info["pid"])
        m = self.model
        raise web.HTTPFound(f"/cricketers/{m.p_slug[p]}-{int(m.pid[p])}")

    async def cricketer(self, request: web.Request) -> web.Response:
        slug = request.match_info["slug"]
        _, _, tail = slug.rpartition("-")
        p = self._player_index(tail)
        m = self.model
        pid = int(m.pid[p])
        if slug != f"{m.p_slug[p]}-{pid}":
            raise web.HTTPMovedPermanently(f"/cricketers/{m.p_slug[p]}-{pid}")
        broken, js_only = self._profile_kind(pid)
        return web.Response(
            text=profiles.profile_page(m, p, js_only=js_only, broken=broken), content_type="text/html"
        )

    async def athlete(self, request: web.Request) -> web.Response:
        p = self._player_index(request.match_info["pid"])
        _, js_only = self._profile_kind(int(self.model.pid[p]))
        doc = profiles.athlete_json(self.model, p, sparse=js_only)
        return web.Response(
            text=json.dumps(doc, ensure_ascii=False, indent=2), content_type="application/json"
        )

    async def match(self, request: web.Request) -> web.Response:
        mid = request.match_info["mid"]
        site = self.site
        i = self._match_index.get(int(mid)) if mid.isdigit() else None
        if i is None or i > self.model.last_match_idx:  # not played yet as of the replica's day
            raise web.HTTPNotFound(text="no such match")
        m = self.model.matches[i]
        T = self.model.teams
        title = f"{T.name[m.teams[0]]} v {T.name[m.teams[1]]} at {m.ground}, {m.date:%b %d %Y}"
        body = f"<!DOCTYPE html><html><head><title>{title} | {site.m_label[i]}</title></head><body><h1>{title}</h1></body></html>"
        return web.Response(text=body, content_type="text/html")

    async def home(self, request: web.Request) -> web.Response:
        links = "".join(
            f'<li><a href="/ci/engine/stats/index.html?class={c};template=results;type={t}">class {c} {t}</a></li>'
            for c in RESULT_CLASSES
            for t in TYPES
        )
        return web.Response(
            text=f"<html><head><title>Statsguru replica</title></head><body><ul>{links}</ul></body></html>",
            content_type="text/html",
        )

    def _menu(self, cls: int, typ: str) -> str:
        return (
            f"<html><head><title>Statsguru query | {typ}</title></head><body>"
            f'<a href="/ci/engine/stats/index.html?class={cls};template=results;type={typ}">Submit query</a></body></html>'
        )

    def _profile_kind(self, pid: int) -> tuple[bool, bool]:
        """(broken, js_only) for a player: seeded picks, the same for the page and the athlete JSON."""
        broken = fraction_pick(self.opts.seed, pid, "broken", self.opts.broken_profiles)
        js_only = not broken and fraction_pick(self.opts.seed, pid, "js-only", self.opts.js_only_profiles)
        return broken, js_only

    def _player_index(self, raw: str) -> int:
        try:
            pid = int(raw)
        except ValueError:
            raise web.HTTPNotFound(text="no such player") from None
        p = self.model.index_of_pid.get(pid)
        if p is None or not self.model.played[p]:
            raise web.HTTPNotFound(text="no such player")
        return p

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self.middleware])
        r = app.router
        r.add_get("/robots.txt", self.robots)
        r.add_get("/", self.home)
        r.add_get("/ci/engine/stats/index.html", self.stats)
        r.add_get("/ci/engine/player/{pid}.html", self.player)
        r.add_get("/ci/content/player/{pid}.html", self.content_player)
        r.add_get("/cricketers/{slug}", self.cricketer)
        r.add_get("/v2/sports/cricket/athletes/{pid}", self.athlete)
        r.add_get("/ci/engine/match/{mid}.html", self.match)
        r.add_get("/downloads/{name}", self.cricsheet.handle)  # Cricsheet's archives (replica.cricsheet)
        r.add_get("/register/people.csv", self.cricsheet.handle)
        return app


def _reset(request: web.Request) -> None:
    """Abort the connection with a TCP RST (SO_LINGER 0), as a dropped connection looks to a client."""
    tr = request.transport
    if tr is None:
        return
    sock = tr.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    tr.abort()
