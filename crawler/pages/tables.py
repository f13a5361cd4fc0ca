"""Shared table reading for Statsguru pages: header texts, cell texts, layout-drift and truncation errors."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlparse

import lxml.etree
import lxml.html
from lxml.html import HtmlElement

from cricket_contract.columns import SPACER_AFTER

NO_RECORDS = "No records available to match this query"
NO_RECORDS_B = NO_RECORDS.encode()
_PARSERS: dict[str, lxml.html.HTMLParser] = {}
_PLAIN_PARSERS: dict[str, lxml.etree.HTMLParser] = {}


def page_root(response) -> HtmlElement:
    """The page's element tree, built here and not cached on the response.

    `response.selector` would keep the tree (≈10× the page's size) alive as long as the response,
    i.e. while its rows go through the pipelines; ours is freed as soon as the rows are extracted.
    """
    return _tree(response, _PARSERS, lxml.html.HTMLParser, lxml.html.document_fromstring)


def plain_root(response):
    """The page as a plain lxml.etree tree: no HtmlElement class lookup per node, a third faster to
    build and walk than `page_root`'s; for the big results lists (use `cell_text`, not text_content())."""
    return _tree(response, _PLAIN_PARSERS, lxml.etree.HTMLParser, lxml.etree.fromstring)


def _tree(response, parsers: dict, parser_class, fromstring):
    encoding = getattr(response, "encoding", None) or "utf-8"
    parser = parsers.get(encoding)
    if parser is None:
        parser = parsers[encoding] = parser_class(encoding=encoding, recover=True)
    root = fromstring(response.body, parser=parser) if response.body.strip() else None
    return root if root is not None else fromstring(b"<html></html>", parser=parser)


class LayoutDrift(Exception):
    """The page cannot be read by header (a required header missing or renamed, a repeated header, a row of
    another width, no results table): stop rather than mis-map a column. `unknown`: the headers beside a
    missing one that the map does not know (likely its new name)."""

    def __init__(self, url: str, what: str, headers: Iterable[str], unknown=(), missing=()):
        self.url = url
        self.headers = list(headers)
        self.unknown = list(unknown)
        self.missing = list(missing)
        parts = [what]
        if self.unknown:
            parts.append(f"unknown headers {self.unknown}")
        if self.missing:
            parts.append(f"missing headers {self.missing}")
        parts.append(f"headers seen {self.headers}")
        super().__init__(f"layout drift at {url}: " + "; ".join(parts))


class IncompletePage(Exception):
    """The page ended early (no closing </html> or table): a transport failure, to be retried."""


def cell_text(el: HtmlElement) -> str:
    """A cell's visible text, whitespace at both ends removed (inner text kept verbatim).

    The same text as lxml.html's text_content(), for plain etree elements too.
    """
    if len(el) == 0:  # no child elements: the text node alone (3× faster than joining itertext())
        return (el.text or "").strip()
    return "".join(el.itertext()).strip()


def header_row(table: HtmlElement) -> HtmlElement | None:
    """The first row of `th` cells (`tr.head` on player pages, `tr.headlinks` in summaries and lists)."""
    for tr in table.iter("tr"):
        if any(child.tag == "th" for child in tr):
            return tr
    return None


def header_texts(tr: HtmlElement) -> list[str]:
    return [cell_text(th) for th in tr if th.tag in ("th", "td")]


def data_rows(table: HtmlElement) -> Iterable[HtmlElement]:
    """Rows made of `td` cells, in document order (the header row and `th` rows excluded)."""
    for tr in table.iter("tr"):
        if tr.find("th") is None:
            yield tr


def link_columns(url: str, headers: list[str]) -> list[int]:
    """The untitled columns of an innings table that may hold the match link (not the spacer after `Inns`);
    LayoutDrift when there is none: its rows would have no match."""
    cols = [i for i, h in enumerate(headers) if not h and (i == 0 or headers[i - 1] != SPACER_AFTER)]
    if not cols:
        raise LayoutDrift(url, "innings table without its untitled match-link column", headers)
    return cols


def match_link(tds: list, texts: list[str], link_cols: list[int]) -> tuple[str | None, str | None]:
    """(match id, label) of an innings row: the first link column's cell linking to /match/ (None, None: none)."""
    for i in link_cols:
        mid = link_id(tds[i], "/match/")
        if mid is not None:
            return mid, texts[i]
    return None, None


def query(url: str) -> dict[str, str]:
    """Query parameters of a Statsguru URL, whose parameters are separated by `;` (or `&`)."""
    q = urlparse(url).query
    return dict(parse_qsl(q.replace(";", "&"), keep_blank_values=True))


def require_complete(body: bytes | str, url: str) -> None:
    """Raise IncompletePage unless the document is closed (`</html>`), as a cut-off transfer is not."""
    tail = body[-2048:].lower()
    if isinstance(tail, bytes):
        ok = b"</html>" in tail
    else:
        ok = "</html>" in tail
    if not ok:
        raise IncompletePage(f"truncated page (no </html>): {url}")


ID_IN_LINK = re.compile(r"/(\d+)\.html")


def link_id(el: HtmlElement, pattern: str) -> str | None:
    """Digits of the first link under `el` whose href contains `pattern` (e.g. '/player/')."""
    for a in el.iter("a"):
        href = a.get("href") or ""
        if pattern in href and (m := ID_IN_LINK.search(href)):
            return m.group(1)
    return None
