"""Spider `cricsheet`: Cricsheet's archives and people register, conditional requests, one record per match."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import zipfile
from typing import Any

import scrapy
from scrapy.downloadermiddlewares.retry import get_retry_request

from crawler import signals as cricket_signals
from crawler.items import RawRows
from crawler.pages import cricsheet as page
from crawler.pages.tables import LayoutDrift
from crawler.rawzone import raw_uri
from crawler.spiders.base import CricketSpider
from cricket_contract.layout import MANIFEST, RunDir
from cricket_contract.vocabulary import CRICSHEET_DATA_VERSIONS
from cricket_storage import Location

DEFAULT_BASE_URL = "https://cricsheet.org"
# Validators (ETag, Last-Modified) of what earlier finished runs stored, per URL: the next run asks with
# If-None-Match / If-Modified-Since, and an unchanged archive costs one 304.
VALIDATORS_PATH = ("_state", "cricsheet_validators.json")
PEOPLE_CHUNK = 2000  # register rows per item


def validators_location(raw: Location) -> Location:
    """`{raw}/_state/cricsheet_validators.json`."""
    return raw.child(*VALIDATORS_PATH)


def load_validators(raw: Location) -> dict[str, dict[str, str]]:
    """The validators of URLs whose content a finished run still holds (a run since deleted: forgotten,
    so its archive is fetched again in full)."""
    loc = validators_location(raw)
    if not loc.exists():
        return {}
    try:
        doc = json.loads(loc.read_bytes())
    except ValueError:
        return {}  # unreadable: every archive is fetched in full, which is always safe
    out = {}
    for url, v in (doc.get("urls") or {}).items():
        if not isinstance(v, dict) or not (v.get("etag") or v.get("last_modified")):
            continue
        spider, run_id = v.get("spider", "cricsheet"), v.get("run_id")
        if run_id and raw.child(spider, RunDir(run_id).name(), MANIFEST).exists():
            out[url] = v
    return out


def save_validators(raw: Location, known: dict[str, dict[str, str]]) -> None:
    doc = {"updated_at": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "urls": known}
    validators_location(raw).write_bytes(json.dumps(doc, indent=2, sort_keys=True).encode())


class CricsheetSpider(CricketSpider):
    """Parameters (cricket_contract.params): archives | recent, register, base_url, run_id.

    Zips are opened over the response body and read one member at a time: one raw record per match file
    (one item each, so at most one decoded match is held), one per register row.
    """

    name = "cricsheet"
    archives: tuple[str, ...]
    recent: int | None
    register: str
    custom_settings = {
        "DOWNLOAD_WARNSIZE": 512 << 20,  # all_json.zip is ~100 MB
        "DOWNLOAD_MAXSIZE": 2 << 30,
        "DOWNLOAD_TIMEOUT": 600,
        "FEED_EXPORT_BATCH_ITEM_COUNT": 1000,  # a match record is ~50-400 KB of JSON
        "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
    }

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        if not kwargs.get("base_url"):
            kwargs["base_url"] = crawler.settings.get("CRICKET_CRICSHEET_URL") or DEFAULT_BASE_URL
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.raw = Location.parse(raw_uri(crawler.settings))
        spider.known: dict[str, dict[str, str]] = {}
        spider.fresh: dict[str, dict[str, str]] = {}
        crawler.signals.connect(spider.manifest_written, cricket_signals.manifest_written)
        return spider

    def sources(self) -> list[tuple[str, str]]:
        """(archive name, URL) of every download of this run; the register as `register`."""
        names = [page.recent_archive(self.recent)] if self.recent else list(self.archives)
        out = [(n, page.archive_url(self.base_url, n)) for n in names]
        if self.register == "yes":
            out.append(("register", page.register_url(self.base_url)))
        return out

    async def start(self):
        self.known = await asyncio.to_thread(load_validators, self.raw)
        for name, url in self.sources():
            headers = {}
            v = self.known.get(url) or {}
            if v.get("etag"):
                headers["If-None-Match"] = v["etag"]
            if v.get("last_modified"):
                headers["If-Modified-Since"] = v["last_modified"]
            callback = self.parse_register if name == "register" else self.parse_archive
            yield self.page_request(
                url,
                callback,
                headers=headers,
                cb_kwargs={"archive": name},
                dont_filter=True,
                # 304 reaches the callback; a zip or CSV has no </html> for the truncated-page check.
                meta={"cricket_page": False, "handle_httpstatus_list": [304]},
            )

    # ------------------------------------------------------------------ callbacks

    def not_modified(self, response) -> bool:
        if response.status != 304:
            return False
        self.crawler.stats.inc_value("cricket/cricsheet/not_modified")
        self.crawler.stats.inc_value("cricket/pages_done")
        self.logger.info("%s unchanged since run %s (304)", response.url, self.known[response.url]["run_id"])
        self.crawler.signals.send_catch_log(cricket_signals.page_parsed, url=response.url, items=0)
        return True

    def remember(self, response) -> None:
        """The response's validators, saved once this run's manifest is written (not before: a failed run
        must not make the next one skip an archive whose records were never stored)."""
        etag = response.headers.get(b"ETag")
        modified = response.headers.get(b"Last-Modified")
        if etag or modified:
            self.fresh[response.url] = {
                "etag": etag.decode("latin-1") if etag else "",
                "last_modified": modified.decode("latin-1") if modified else "",
                "spider": self.name,
                "run_id": self.run_id,
            }

    def parse_archive(self, response, archive: str = ""):
        """A Cricsheet zip: one item per match file, read one member at a time."""
        if self.not_modified(response):
            return
        try:
            zf = page.open_archive(response.body)
        except zipfile.BadZipFile as exc:
            retry = get_retry_request(response.request, spider=self, reason="bad_zip")
            if retry is not None:  # most often a cut-off transfer
                yield retry
                return
            self.logger.error("%s is not a readable zip after retries: %s", response.url, exc)
            self.run_incomplete(f"unreadable archive: {response.url}")
            return
        stats = self.crawler.stats
        members = page.match_members(zf)
        readme = page.readme_member(zf)
        listed = page.parse_readme(zf.read(readme).decode("utf-8", "replace")) if readme else []
        names = {page.member_match_id(i.filename) for i in members}
        unlisted = [x.match_id for x in listed if x.match_id not in names]
        if unlisted:
            stats.inc_value("cricket/cricsheet/listed_not_in_archive", len(unlisted))
            self.logger.warning(
                "%s: %d matches its README lists are not in it (e.g. %s)",
                response.url,
                len(unlisted),
                unlisted[0],
            )
        stats.inc_value("cricket/pages_done")
        stats.inc_value("cricket/cricsheet/archives")
        self.crawler.signals.send_catch_log(cricket_signals.page_parsed, url=response.url, items=len(members))
        self.logger.info("%s: %d match files", response.url, len(members))
        for _member, record, error in page.iter_matches(
            zf, archive or _archive_name(response.url), response.url
        ):
            if error is not None:
                stats.inc_value("cricket/cricsheet/bad_members")
                self.logger.error("%s: unreadable member skipped: %s", response.url, error)
                yield RawRows(response.url, [])  # the archive's item count holds; dropped as empty
                continue
            if record["data_version"] not in CRICSHEET_DATA_VERSIONS:
                stats.inc_value(f"cricket/cricsheet/data_version/{record['data_version']}")
            stats.inc_value("cricket/cricsheet/matches")
            yield RawRows(response.url, [record])
        self.remember(response)

    def parse_register(self, response, archive: str = "register"):
        """people.csv: one record per person, in items of PEOPLE_CHUNK rows."""
        if self.not_modified(response):
            return
        try:
            rows = page.parse_people(response.text, response.url)
        except LayoutDrift as exc:
            self.logger.error(str(exc))
            self.crawler.stats.set_value("cricket/layout_drift", str(exc))
            raise scrapy.exceptions.CloseSpider("layout_drift") from exc
        chunks = [rows[i : i + PEOPLE_CHUNK] for i in range(0, len(rows), PEOPLE_CHUNK)]
        self.crawler.stats.inc_value("cricket/pages_done")
        self.crawler.stats.inc_value("cricket/cricsheet/people", len(rows))
        self.crawler.signals.send_catch_log(cricket_signals.page_parsed, url=response.url, items=len(chunks))
        for chunk in chunks:
            yield RawRows(response.url, chunk)
        self.remember(response)

    # ------------------------------------------------------------------ after the manifest

    def manifest_written(self, **_: Any) -> None:
        if not self.fresh:
            return
        merged = {**self.known, **self.fresh}
        try:
            save_validators(self.raw, merged)
        except OSError as exc:  # the run is fine; the next one simply downloads in full
            self.logger.warning("could not save %s: %s", validators_location(self.raw).uri, exc)
            return
        self.logger.info(
            "saved validators of %d downloads to %s", len(merged), validators_location(self.raw).uri
        )


def _archive_name(url: str) -> str:
    tail = url.rsplit("/", 1)[-1]
    return tail.removesuffix(".zip").removesuffix("_json")
