"""Cricsheet's downloads as static files over aiohttp: zips and people.csv with ETag, Last-Modified and 304s."""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import io
import threading
import zipfile
from collections.abc import Callable, Iterable

from aiohttp import web

README_HEAD = (
    "This zip archive contains data files from Cricsheet in JSON format. This\n"
    "archive contains {n} matches.\n\n\n"
    "The matches contained in this zip archive are listed below. The first field is\n"
    "the start date of the match (for test matches or other multi-day matches), or\n"
    "the actual date (for all other types of match). The second is the type of\n"
    "teams involved, whether 'club', or 'international'. The third is the type of\n"
    "match, either Test, ODI, ODM, T20, IT20, MDM, or a club competition code (such\n"
    "as IPL). The 4th field is the gender of the players involved in the match. The\n"
    "5th field is the id of the match, and the remainder of the line shows the\n"
    "teams involved in the match.\n\n\n"
)


def build_zip(members: Iterable[tuple[str, bytes]], readme_lines: list[str]) -> bytes:
    """A Cricsheet-shaped zip: `<id>.json` members and a README.txt listing them."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            zf.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
        text = README_HEAD.format(n=len(readme_lines)) + "".join(line + "\n" for line in readme_lines)
        zf.writestr(
            zipfile.ZipInfo("README.txt", date_time=(2026, 1, 1, 0, 0, 0)), text, zipfile.ZIP_DEFLATED
        )
    return out.getvalue()


class StaticFiles:
    """Files by URL path, built on first request (`builders`), served with validators.

    The ETag is the content's hash and Last-Modified a fixed moment of the world, so an unchanged file
    answers a conditional request with 304 and no body; `served` counts the 200s and 304s per path.
    """

    def __init__(self, builders: dict[str, Callable[[], bytes]], modified_at: float) -> None:
        self.builders = builders
        self.cache: dict[str, tuple[bytes, str]] = {}
        self.last_modified = email.utils.formatdate(modified_at, usegmt=True)
        self.served: dict[str, list[int]] = {}
        self._lock = threading.Lock()  # one build at a time (the builders share their match cache)

    def content(self, path: str) -> tuple[bytes, str]:
        with self._lock:
            got = self.cache.get(path)
            if got is None:
                body = self.builders[path]()
                got = self.cache[path] = (body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')
            return got

    async def handle(self, request: web.Request) -> web.Response:
        path = request.path
        if path not in self.builders:
            raise web.HTTPNotFound(text=f"no such download: {path}")
        # building an archive takes seconds: off the event loop, so the site keeps answering
        body, etag = await asyncio.get_running_loop().run_in_executor(None, self.content, path)
        counts = self.served.setdefault(path, [0, 0])
        headers = {"ETag": etag, "Last-Modified": self.last_modified}
        inm = request.headers.get("If-None-Match")
        ims = request.headers.get("If-Modified-Since")
        if (inm is not None and etag in [t.strip() for t in inm.split(",")]) or (
            inm is None and ims == self.last_modified
        ):
            counts[1] += 1
            return web.Response(status=304, headers=headers)
        counts[0] += 1
        ctype = "application/zip" if path.endswith(".zip") else "text/csv"
        return web.Response(body=body, headers=headers, content_type=ctype)
