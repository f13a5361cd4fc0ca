"""Raw-location helpers: one URI form (file://, plain path, s3://) for listing, reading and writing raw runs."""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urlparse

PART_RE = re.compile(r"^part-(\d{5,})\.jsonl\.gz$")
MANIFEST = "_manifest.json"


@dataclass(frozen=True)
class Location:
    """A directory-like location: a local path or an S3 bucket + key prefix (no trailing slash)."""

    scheme: str  # "file" or "s3"
    bucket: str | None
    path: str

    @classmethod
    def parse(cls, uri: str | os.PathLike) -> Location:
        uri = os.fspath(uri)
        if not uri:
            raise ValueError("empty location")
        u = urlparse(uri)
        if u.scheme == "s3":
            if not u.netloc:
                raise ValueError(f"s3 URI without a bucket: {uri!r}")
            return cls("s3", u.netloc, u.path.strip("/"))
        if u.scheme == "file":
            return cls("file", None, str(Path(unquote(u.path)).resolve()))
        if u.scheme and len(u.scheme) > 1:  # a Windows drive letter is not a scheme
            raise ValueError(
                f"unsupported raw location scheme {u.scheme!r} in {uri!r} (use file://, s3:// or a path)"
            )
        return cls("file", None, str(Path(uri).resolve()))

    @property
    def uri(self) -> str:
        if self.scheme == "s3":
            return f"s3://{self.bucket}/{self.path}".rstrip("/")
        return "file://" + quote(self.path, safe="/=:@+,-._~")

    def child(self, *names: str) -> Location:
        parts = [p for p in (self.path, *names) if p]
        if self.scheme == "s3":
            return Location("s3", self.bucket, "/".join(s.strip("/") for s in parts))
        return Location("file", None, str(Path(*parts)))

    @property
    def name(self) -> str:
        return self.path.rstrip("/").rsplit("/", 1)[-1]


def s3_client():
    """A boto3 S3 client honouring AWS_ENDPOINT_URL (any S3-compatible endpoint)."""
    import boto3

    return boto3.session.Session().client(
        "s3",
        endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None,
        region_name=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or None,
    )


def list_names(loc: Location) -> list[str]:
    """Names of the files directly inside a directory location (empty when it does not exist)."""
    if loc.scheme == "s3":
        client = s3_client()
        prefix = f"{loc.path}/" if loc.path else ""
        names: list[str] = []
        for page in client.get_paginator("list_objects_v2").paginate(
            Bucket=loc.bucket, Prefix=prefix, Delimiter="/"
        ):
            names.extend(obj["Key"][len(prefix) :] for obj in page.get("Contents", []))
        return sorted(names)
    p = Path(loc.path)
    return sorted(f.name for f in p.iterdir() if f.is_file()) if p.is_dir() else []


def list_dirs(loc: Location) -> list[str]:
    """Names of the sub-directories (S3: common prefixes) directly inside a location."""
    if loc.scheme == "s3":
        client = s3_client()
        prefix = f"{loc.path}/" if loc.path else ""
        out: list[str] = []
        for page in client.get_paginator("list_objects_v2").paginate(
            Bucket=loc.bucket, Prefix=prefix, Delimiter="/"
        ):
            out.extend(cp["Prefix"][len(prefix) :].rstrip("/") for cp in page.get("CommonPrefixes", []))
        return sorted(out)
    p = Path(loc.path)
    return sorted(f.name for f in p.iterdir() if f.is_dir()) if p.is_dir() else []


def exists(loc: Location) -> bool:
    if loc.scheme == "s3":
        from botocore.exceptions import ClientError

        try:
            s3_client().head_object(Bucket=loc.bucket, Key=loc.path)
            return True
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
    return Path(loc.path).is_file()


def read_bytes(loc: Location) -> bytes:
    if loc.scheme == "s3":
        return s3_client().get_object(Bucket=loc.bucket, Key=loc.path)["Body"].read()
    return Path(loc.path).read_bytes()


def open_read(loc: Location):
    """A binary stream over a file or S3 object (streamed, never read whole into memory)."""
    if loc.scheme == "s3":
        return s3_client().get_object(Bucket=loc.bucket, Key=loc.path)["Body"]
    return Path(loc.path).open("rb")


def write_bytes(loc: Location, data: bytes) -> None:
    """Write a whole object; local files are written to a temp name and renamed, so readers never see half."""
    if loc.scheme == "s3":
        s3_client().put_object(Bucket=loc.bucket, Key=loc.path, Body=data)
        return
    target = Path(loc.path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        umask = os.umask(0o022)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; readers in other containers need the usual mode
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def delete(loc: Location) -> None:
    """Remove one file or object; a missing one is fine."""
    if loc.scheme == "s3":
        s3_client().delete_object(Bucket=loc.bucket, Key=loc.path)
        return
    Path(loc.path).unlink(missing_ok=True)


def part_numbers(names: list[str]) -> list[int]:
    return sorted(int(m.group(1)) for n in names if (m := PART_RE.match(n)))
