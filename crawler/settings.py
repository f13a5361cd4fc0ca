"""Scrapy settings of the cricket-stats crawler: polite defaults, every knob overridable by -s or environment."""

from __future__ import annotations

import os


def _env(name: str, default):
    """CRICKET_<NAME> from the environment, typed like `default`."""
    raw = os.environ.get(f"CRICKET_{name}")
    if raw is None:
        return default
    if isinstance(default, bool):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    return type(default)(raw)


BOT_NAME = "cricket_stats"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# An honest User-Agent: who we are and where to read about it.
USER_AGENT = os.environ.get(
    "CRICKET_USER_AGENT",
    "cricket-stats/0.1 (+https://github.com/example/cricket-stats; statistics crawler, contact via project page)",
)

# --- politeness (defaults are for the real site; tests and the replica benchmark override them with -s) ---
ROBOTSTXT_OBEY = _env("ROBOTSTXT_OBEY", True)
AUTOTHROTTLE_ENABLED = _env("AUTOTHROTTLE_ENABLED", True)
AUTOTHROTTLE_START_DELAY = _env("AUTOTHROTTLE_START_DELAY", 2.0)
AUTOTHROTTLE_MAX_DELAY = _env("AUTOTHROTTLE_MAX_DELAY", 60.0)
AUTOTHROTTLE_TARGET_CONCURRENCY = _env("AUTOTHROTTLE_TARGET_CONCURRENCY", 1.0)
DOWNLOAD_DELAY = _env("DOWNLOAD_DELAY", 1.0)
CONCURRENT_REQUESTS = _env("CONCURRENT_REQUESTS", 16)
CONCURRENT_REQUESTS_PER_DOMAIN = _env("CONCURRENT_REQUESTS_PER_DOMAIN", 4)
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False

# --- reliability ---
DOWNLOAD_TIMEOUT = _env("DOWNLOAD_TIMEOUT", 30.0)
# A 200-row results page is about 1 MB. A bigger body (or one that inflates beyond it: a gzip bomb) is not
# buffered: the download is cancelled, and the page fails like any other (the run gets no manifest).
DOWNLOAD_MAXSIZE = _env("DOWNLOAD_MAXSIZE", 32 * 1024 * 1024)
DOWNLOAD_WARNSIZE = _env("DOWNLOAD_WARNSIZE", 8 * 1024 * 1024)
RETRY_ENABLED = True
RETRY_TIMES = _env("RETRY_TIMES", 6)
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
CRICKET_RETRY_AFTER_MAX = _env("RETRY_AFTER_MAX", 60.0)

DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.middlewares.PoliteRobotsTxtMiddleware": 100,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.PoliteRetryMiddleware": 550,
    "crawler.middlewares.TruncatedPageMiddleware": 580,
    "crawler.middlewares.BlockDetectionMiddleware": 590,
}
# Every spider middleware walks every row a callback yields; these do nothing for our spiders.
SPIDER_MIDDLEWARES = {
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
    "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": None,
    "scrapy.spidermiddlewares.metacopy.MetaCopyDetectionMiddleware": None,
    "scrapy.spidermiddlewares.referer.RefererMiddleware": None,  # our page URLs never need a Referer
}

# Scrapy starts CONCURRENT_ITEMS (default 100) tasks for every callback's output; our callbacks yield one
# item (a page's RawRows, or a profile) and our pipelines are synchronous, so more buy nothing.
CONCURRENT_ITEMS = 1

ITEM_PIPELINES = {
    "crawler.pipelines.ValidatePipeline": 100,
    "crawler.pipelines.DedupePipeline": 200,
    "crawler.pipelines.LineagePipeline": 300,
}

# Scrapy's AutoThrottle (0) and FeedExporter (0, user feeds only) stay; RobotsCrawlDelay's response handler must
# run after AutoThrottle's (a larger number: connected later, called later), so the Crawl-delay floor holds.
EXTENSIONS = {
    # Scrapy's SpiderState pickles spider.state into JOBDIR (mode from the umask); no spider of ours uses it,
    # and the JOBDIR holds only our ledger (crawler/ledger.py), written with explicit modes.
    "scrapy.extensions.spiderstate.SpiderState": None,
    "crawler.logformat.RedactSecrets": 100,  # before Scrapy logs "Overridden settings"
    "crawler.extensions.RobotsCrawlDelay": 500,
    "crawler.timeline.CrawlTimeline": 505,  # the `cricket/timeline` stat the manifest carries
    "crawler.rawzone.RawRunWriter": 510,
    "crawler.extensions.ProgressLog": 520,
}
CRICKET_PROGRESS_INTERVAL = _env("PROGRESS_INTERVAL", 5.0)
LOGSTATS_INTERVAL = 0  # ProgressLog replaces Scrapy's per-minute line

# --- resume: our own ledger in JOBDIR (see crawler/scheduling.py) ---
SCHEDULER = "crawler.scheduling.MemoryQueueScheduler"
DUPEFILTER_CLASS = "crawler.scheduling.LedgerDupeFilter"

# --- raw zone (crawler.rawzone.RawRunWriter): {CRICKET_RAW_URI}/{spider}/run_id={run id}/part-NNNNN.jsonl.gz ---
CRICKET_RAW_URI = os.environ.get("CRICKET_RAW_URI", "")
CRICKET_RUN_ID = os.environ.get("CRICKET_RUN_ID", "")
# Every S3 call of the crawl (claim, parts, manifest) is bounded: 3 attempts × (5 s connect + 10 s read) = 45 s
# at worst, so an unreachable or silent endpoint fails the crawl within a minute. A 5,000-row part is a few
# hundred KB: a PUT that has not answered in 10 s is not going to.
CRICKET_S3_CONNECT_TIMEOUT = _env("S3_CONNECT_TIMEOUT", 5.0)
CRICKET_S3_READ_TIMEOUT = _env("S3_READ_TIMEOUT", 10.0)
CRICKET_S3_MAX_ATTEMPTS = _env("S3_MAX_ATTEMPTS", 3)
# Take over the claim of a run id whose crawl is known to be dead on another host (crawler/claims.py).
CRICKET_CLAIM_TAKEOVER = _env("CLAIM_TAKEOVER", False)
# A crawl renews its claim every CLAIM_RENEW_S; another host's claim not renewed for CLAIM_STALE_S is taken over.
CRICKET_CLAIM_RENEW_S = _env("CLAIM_RENEW_S", 60.0)
CRICKET_CLAIM_STALE_S = _env("CLAIM_STALE_S", 300.0)
FEED_EXPORT_BATCH_ITEM_COUNT = _env("FEED_EXPORT_BATCH_ITEM_COUNT", 5000)  # records per raw part
# --- user feeds (scrapy crawl … -O rows.jsonl): Scrapy's FeedExporter, one record per row ---
ADDONS = {"crawler.addons.UserFeedsAddon": 0}
FEED_EXPORT_ENCODING = "utf-8"
FEED_EXPORTERS = {
    "jsonlines": "crawler.feeds.RawJsonLinesExporter",
    "jsonl": "crawler.feeds.RawJsonLinesExporter",
    "json": "crawler.feeds.RawJsonExporter",
    "csv": "crawler.feeds.RawCsvExporter",
    "xml": "crawler.feeds.RawXmlExporter",
}
FEED_STORAGES = {"file": "crawler.feeds.AtomicFileFeedStorage", "": "crawler.feeds.AtomicFileFeedStorage"}
# For a user feed on s3:// (Scrapy's S3FeedStorage); the raw zone's S3 client (cricket_storage) reads the
# environment itself.
AWS_ENDPOINT_URL = os.environ.get("AWS_ENDPOINT_URL") or None
AWS_REGION_NAME = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or None

# --- spiders ---
CRICKET_BASE_URL = os.environ.get("CRICKET_BASE_URL", "https://stats.espncricinfo.com")
CRICKET_CRICSHEET_URL = os.environ.get("CRICKET_CRICSHEET_URL", "https://cricsheet.org")
# `scrapy check` contracts fetch from here (the local replica): -s CRICKET_CONTRACT_BASE_URL=http://127.0.0.1:PORT
CRICKET_CONTRACT_BASE_URL = os.environ.get("CRICKET_CONTRACT_BASE_URL", "http://127.0.0.1:8765")
# A player of the replica started with --players 300 --seed 7 (the tests' replica).
CRICKET_CONTRACT_PLAYER_ID = os.environ.get("CRICKET_CONTRACT_PLAYER_ID", "878149")
# `scrapy check` with nothing answering at a loopback CRICKET_CONTRACT_BASE_URL starts that replica itself
# (crawler/commands/check.py); 0: say so in one line instead
CRICKET_CONTRACT_START_REPLICA = os.environ.get("CRICKET_CONTRACT_START_REPLICA", "1") != "0"
COMMANDS_MODULE = "crawler.commands"
SPIDER_CONTRACTS = {
    "crawler.contracts.ReplicaUrlContract": 1,
    "crawler.contracts.RowsContract": 2,
    "crawler.contracts.RowFieldsContract": 3,
}

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
LOG_LEVEL = os.environ.get("CRICKET_LOG_LEVEL", "INFO")
LOG_FORMATTER = "crawler.logformat.QuietRowsLogFormatter"
