"""Log output: no per-item "Scraped from" line, no "Crawled" record unless DEBUG, and secrets redacted everywhere."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

from scrapy import signals
from scrapy.logformatter import LogFormatter

_ENGINE_LOG = logging.getLogger("scrapy.core.engine")

# Names that hold secrets; PASS as a word of the name too (Scrapy's HTTPAUTH_PASS), not inside one (BYPASS).
SECRET_NAME = re.compile(r"KEY|SECRET|TOKEN|PASSWORD|(?:^|_)PASS(?:_|$)", re.I)
MASK = "***"
# user-info of a URL (`http://user:pw@host`), and NAME=value / 'NAME': 'value' where NAME names a secret
_USERINFO = re.compile(r"(?<=://)[^/\s@'\"<>]+@")
_NAMED = re.compile(
    r"""(?P<name>['"]?\b[A-Za-z0-9_.-]*(?:KEY|SECRET|TOKEN|PASS)[A-Za-z0-9_.-]*['"]?\s*(?::\s*|=))"""
    r"""(?P<quote>['"]?)(?P<value>[^'"\s,}]+)""",
    re.I,
)
_MIN_SECRET = 4  # shorter values ("1", "on") are not worth hiding and would blank ordinary words


class QuietRowsLogFormatter(LogFormatter):
    """Rows are counted in stats and shown by the progress line; dropped rows log at DEBUG."""

    def scraped(self, item, response, spider):
        return None

    def crawled(self, request, response, spider):
        # Scrapy builds this DEBUG record for every response, then drops it unless DEBUG is on.
        if not _ENGINE_LOG.isEnabledFor(logging.DEBUG):
            return None
        return super().crawled(request, response, spider)

    def dropped(self, item, exception, response, spider):
        entry = super().dropped(item, exception, response, spider)
        entry["level"] = logging.DEBUG
        return entry


class Redactor:
    """Hides secrets in text: the values of settings and environment variables whose names contain KEY,
    SECRET, TOKEN or PASSWORD, anything printed as such a NAME=value or 'NAME': 'value', and URL user-info."""

    def __init__(self, secrets: Iterable[str] = ()):
        self.secrets: set[str] = set()
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        for s in secrets:
            if isinstance(s, str) and len(s) >= _MIN_SECRET:
                self.secrets.add(s)
                self.secrets.add(repr(s)[1:-1])  # as pprint/repr shows it (escaped quotes, backslashes)

    def __call__(self, text: str) -> str:
        for s in sorted(self.secrets, key=len, reverse=True):
            if s in text:
                text = text.replace(s, MASK)
        text = _USERINFO.sub(MASK + "@", text)
        return _NAMED.sub(lambda m: m["name"] + m["quote"] + MASK, text)

    def mapping(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """A copy of `values` (arguments, settings) with secret-named values masked and strings redacted."""
        return {
            k: MASK
            if SECRET_NAME.search(k) and v not in (None, "")
            else (self(v) if isinstance(v, str) else v)
            for k, v in values.items()
        }


def secrets_of(settings=None, environ: Mapping[str, str] | None = None) -> list[str]:
    """The values to hide: secret-named settings that were set (not Scrapy's defaults) and environment variables."""
    out = [v for k, v in (environ if environ is not None else os.environ).items() if SECRET_NAME.search(k)]
    if settings is not None:
        for name in settings.attributes if hasattr(settings, "attributes") else ():
            if SECRET_NAME.search(name) and (settings.getpriority(name) or 0) > 0:
                value = settings.get(name)
                if isinstance(value, str):
                    out.append(value)
    return out


REDACT = Redactor(secrets_of())


class RedactingFilter(logging.Filter):
    """A handler filter: every record it passes has its message (and traceback) redacted."""

    def __init__(self, redact: Redactor = REDACT):
        super().__init__()
        self.redact = redact

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not fit its format: leave it to logging
            return True
        clean = self.redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def install_redaction(settings=None) -> Redactor:
    """Redact the secrets of `settings` (and the environment) in everything the root logger's handlers write."""
    REDACT.add(secrets_of(settings))
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter(REDACT))
    return REDACT


class RedactSecrets:
    """Extension: installs the redaction when the crawler is built, before Scrapy logs "Overridden settings"
    (so `scrapy crawl` is covered as well as cricket-scrape), and again when the spider opens (handlers added
    since)."""

    def __init__(self, *, settings):
        self.settings = settings
        install_redaction(settings)

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(settings=crawler.settings)
        crawler.signals.connect(ext.spider_opened, signals.spider_opened)
        return ext

    def spider_opened(self, spider) -> None:
        install_redaction(self.settings)
