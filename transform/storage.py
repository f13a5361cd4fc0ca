"""Storage URIs (file://, plain paths, s3://) as pyarrow filesystems, with atomic-visibility writes."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from urllib.parse import urlparse

import pyarrow.fs as pafs

DEFAULT_RAW = "./data/raw"
DEFAULT_CURATED = "./data/curated"


def default_raw() -> str:
    return os.environ.get("CRICKET_RAW_URI") or DEFAULT_RAW


def default_curated() -> str:
    return os.environ.get("CRICKET_CURATED_URI") or DEFAULT_CURATED


def s3_filesystem() -> pafs.S3FileSystem:
    """pyarrow's S3 filesystem; it ignores AWS_ENDPOINT_URL, so the endpoint is passed explicitly."""
    kwargs: dict = {}
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        u = urlparse(endpoint)
        if u.scheme and u.netloc:
            kwargs["endpoint_override"] = u.netloc
            kwargs["scheme"] = u.scheme
        else:
            kwargs["endpoint_override"] = endpoint
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if region:
        kwargs["region"] = region
    return pafs.S3FileSystem(**kwargs)


@dataclass(frozen=True)
class Location:
    """A directory-like location: a filesystem plus a path inside it, printable as a URI."""

    fs: pafs.FileSystem
    path: str  # no trailing slash; for S3 "bucket/key/prefix"
    scheme: str  # "file" or "s3"

    @property
    def is_local(self) -> bool:
        return self.scheme == "file"

    def child(self, *parts: str) -> Location:
        path = "/".join([self.path.rstrip("/"), *[p.strip("/") for p in parts if p]])
        return Location(self.fs, path, self.scheme)

    def uri(self) -> str:
        return f"s3://{self.path}" if self.scheme == "s3" else f"file://{self.path}"

    def __str__(self) -> str:
        return self.uri()

    # -- reading
    def exists(self) -> bool:
        return self.fs.get_file_info(self.path).type != pafs.FileType.NotFound

    def is_dir(self) -> bool:
        return self.fs.get_file_info(self.path).type == pafs.FileType.Directory

    def listdir(self) -> list[pafs.FileInfo]:
        sel = pafs.FileSelector(self.path, recursive=False, allow_not_found=True)
        return sorted(self.fs.get_file_info(sel), key=lambda i: i.path)

    def walk_files(self) -> list[pafs.FileInfo]:
        sel = pafs.FileSelector(self.path, recursive=True, allow_not_found=True)
        return sorted(
            (i for i in self.fs.get_file_info(sel) if i.type == pafs.FileType.File), key=lambda i: i.path
        )

    def read_bytes(self) -> bytes:
        with self.fs.open_input_stream(self.path) as f:
            return f.read()

    # -- writing
    def makedirs(self) -> None:
        if self.is_local:
            self.fs.create_dir(self.path, recursive=True)

    def write_bytes_atomic(self, data: bytes) -> None:
        """Readers see the old object or the whole new one: temp file + rename locally, one PUT on S3."""
        if self.is_local:
            parent = self.path.rsplit("/", 1)[0]
            self.fs.create_dir(parent, recursive=True)
            tmp = f"{self.path}.tmp-{uuid.uuid4().hex}"
            with open(tmp, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        else:
            with self.fs.open_output_stream(self.path) as f:
                f.write(data)

    def delete_tree(self) -> None:
        info = self.fs.get_file_info(self.path)
        if info.type == pafs.FileType.Directory:
            self.fs.delete_dir(self.path)
        elif info.type == pafs.FileType.File:
            self.fs.delete_file(self.path)

    def delete_file(self) -> None:
        try:
            self.fs.delete_file(self.path)
        except FileNotFoundError:
            pass


def resolve(uri: str) -> Location:
    """A Location for `s3://bucket/prefix`, `file:///abs/path` or a plain (relative or absolute) path."""
    if not uri:
        raise ValueError("empty storage URI")
    u = urlparse(uri)
    if u.scheme == "s3":
        if not u.netloc:
            raise ValueError(f"S3 URI without a bucket: {uri!r}")
        path = f"{u.netloc}/{u.path.strip('/')}".rstrip("/")
        return Location(s3_filesystem(), path, "s3")
    if u.scheme == "file":
        path = os.path.abspath(u.path or "/")
    elif u.scheme == "" or (len(u.scheme) == 1 and os.name == "nt"):
        path = os.path.abspath(uri)
    else:
        raise ValueError(
            f"unsupported storage URI scheme {u.scheme!r} in {uri!r} (use s3://, file:// or a path)"
        )
    return Location(pafs.LocalFileSystem(), path.rstrip("/") or "/", "file")


def location_of_file(loc: Location, info_path: str) -> Location:
    return Location(loc.fs, info_path, loc.scheme)
