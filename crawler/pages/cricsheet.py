"""Cricsheet's downloads, parsed: archive URLs, zip members one at a time, match files, the README, people.csv."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from crawler.pages.tables import LayoutDrift
from cricket_contract.vocabulary import CRICSHEET_MATCH, CRICSHEET_PERSON

REGISTER_PATH = "register/people.csv"
# people.csv must carry these headers; every other `key_*` column is kept as it comes.
PEOPLE_REQUIRED = ("identifier", "name", "key_cricinfo")
MAX_MEMBER_BYTES = 64 << 20  # a match file is < 2 MB; a bigger member is not a match file
_MEMBER_RE = re.compile(r"^(?:.*/)?(\d+)\.json$")
_README_RE = re.compile(r"^(\d{4}-\d{2}-\d{2}) - (\w+) - ([\w ]+?) - (male|female) - (\d+) - (.+?) vs (.+)$")


class MemberError(ValueError):
    """One member of an archive that is not a readable match file (the rest of the archive is fine)."""


def archive_url(base_url: str, name: str) -> str:
    """`{base}/downloads/{name}_json.zip` (name: tests, odis_female, all, recently_added_7, …)."""
    return f"{base_url.rstrip('/')}/downloads/{name}_json.zip"


def recent_archive(days: int) -> str:
    return f"recently_added_{days}"


def register_url(base_url: str) -> str:
    return f"{base_url.rstrip('/')}/{REGISTER_PATH}"


def open_archive(body: bytes) -> zipfile.ZipFile:
    """The zip over the response body (zipfile.BadZipFile for a cut-off or garbled transfer)."""
    return zipfile.ZipFile(io.BytesIO(body))


def match_members(zf: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """The match files of an archive, in archive order (the README and anything else left out)."""
    return [i for i in zf.infolist() if not i.is_dir() and _MEMBER_RE.match(i.filename)]


def readme_member(zf: zipfile.ZipFile) -> zipfile.ZipInfo | None:
    return next((i for i in zf.infolist() if i.filename.rsplit("/", 1)[-1].upper() == "README.TXT"), None)


def read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """One member's bytes, decompressed alone (the archive's other members stay compressed)."""
    if info.file_size > MAX_MEMBER_BYTES:
        raise MemberError(f"{info.filename}: {info.file_size} bytes, more than a match file can be")
    try:
        return zf.read(info)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:  # a CRC mismatch, a cut-off member
        raise MemberError(f"{info.filename}: {exc}") from exc


def member_match_id(member: str) -> int | None:
    """The match id a member's name gives (`1249875.json` → 1249875), None for any other file."""
    m = _MEMBER_RE.match(member)
    return int(m.group(1)) if m else None


def match_record(archive: str, member: str, raw: bytes, url: str) -> dict[str, Any]:
    """The raw record of one match file: its JSON verbatim as `data`, where it came from, its data_version.

    MemberError when the member is not a Cricsheet match file (its name is not `<match id>.json`, its
    bytes are not a JSON object with meta, info and innings).
    """
    m = _MEMBER_RE.match(member)
    if m is None:
        raise MemberError(f"{member}: not named <match id>.json")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise MemberError(f"{member}: not JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise MemberError(f"{member}: a match file is a JSON object, not {type(data).__name__}")
    missing = [k for k in ("meta", "info", "innings") if k not in data]
    if missing:
        raise MemberError(f"{member}: no {', '.join(missing)}")
    meta, info = data["meta"], data["info"]
    version = meta.get("data_version") if isinstance(meta, dict) else None
    if not isinstance(version, str) or not isinstance(info, dict) or "teams" not in info:
        raise MemberError(f"{member}: no meta.data_version or info.teams")
    return {
        "record": CRICSHEET_MATCH,
        "match_id": int(m.group(1)),
        "archive": archive,
        "member": member,
        "data_version": version,
        "data": data,
        "source_url": url,
    }


@dataclass(frozen=True, slots=True)
class Listed:
    """One line of an archive's README: `date - team_type - match_type - gender - id - team vs team`."""

    date: str
    team_type: str
    match_type: str
    gender: str
    match_id: int
    teams: tuple[str, str]


def parse_readme(text: str) -> list[Listed]:
    """The matches an archive's README lists (the prose around the list is skipped)."""
    out = []
    for line in text.splitlines():
        m = _README_RE.match(line.strip())
        if m:
            d, tt, mt, g, mid, a, b = m.groups()
            out.append(Listed(d, tt, mt, g, int(mid), (a, b)))
    return out


def parse_people(text: str, url: str) -> list[dict[str, Any]]:
    """people.csv as raw records, one per person: `identifier`, `name` and every cell by header (empty: null).

    LayoutDrift when a required header is missing (the register changed shape: stop, do not guess).
    """
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, None)
    if header is None:
        raise LayoutDrift(url, "people.csv is empty", [])
    header = [h.strip() for h in header]
    missing = [h for h in PEOPLE_REQUIRED if h not in header]
    if missing:
        raise LayoutDrift(url, "people.csv lacks a column the register needs", header, missing=missing)
    rows = []
    for cells in reader:
        if not any(c.strip() for c in cells):
            continue
        row = {h: (c.strip() or None) for h, c in zip(header, cells, strict=False)}
        if not row.get("identifier") or not row.get("name"):
            continue  # counted by the caller: a person without an id or name cannot be joined
        rows.append(
            {
                "record": CRICSHEET_PERSON,
                "identifier": row["identifier"],
                "name": row["name"],
                "cells": row,
                "source_url": url,
            }
        )
    return rows


def iter_matches(
    zf: zipfile.ZipFile, archive: str, url: str
) -> Iterator[tuple[str, dict[str, Any] | None, MemberError | None]]:
    """(member, record, None) per match file, or (member, None, error) for one that is unreadable;
    one member decoded at a time."""
    for info in match_members(zf):
        try:
            yield info.filename, match_record(archive, info.filename, read_member(zf, info), url), None
        except MemberError as exc:
            yield info.filename, None, exc
