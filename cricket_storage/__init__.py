"""The one storage layer: a `Location` for `file://` URIs, plain paths and `s3://`, with atomic writes.

S3 goes through boto3 (`AWS_ENDPOINT_URL` honoured, bounded timeouts); Arrow streams (raw parts in, Parquet
out) get a pyarrow filesystem for the same location from `arrow()`, with the endpoint passed explicitly
because pyarrow ignores `AWS_ENDPOINT_URL`. boto3 and pyarrow are imported only when S3 or Arrow is used.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote, unquote, urlparse

FILE_MODE = 0o644  # files and folders get explicit modes, not whatever umask the caller runs under
DIR_MODE = 0o755
CONNECT_TIMEOUT = 10.0  # seconds; with the retries below an unreachable endpoint fails within a minute
READ_TIMEOUT = 30.0
MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class Timeouts:
    """How long one S3 call may take: `attempts` × (connect + read) seconds, plus botocore's short backoff."""

    connect: float = CONNECT_TIMEOUT
    read: float = READ_TIMEOUT
    attempts: int = MAX_ATTEMPTS

    @property
    def worst_case(self) -> float:
        return self.attempts * (self.connect + self.read)


_timeouts = Timeouts()


def set_timeouts(timeouts: Timeouts) -> None:
    """Bound every S3 call of this process (the crawler bounds its calls tighter than the transformer's)."""
    global _timeouts
    _timeouts = timeouts


class StorageError(OSError):
    """A storage operation that failed; the message names the location."""


@dataclass(frozen=True)
class Entry:
    """One name inside a directory-like location."""

    name: str
    is_dir: bool
    size: int | None = None
    mtime_ns: int | None = None


@dataclass(frozen=True)
class Location:
    """A directory or object: a local path, or an S3 bucket and key (no trailing slash on either)."""

    scheme: str  # "file" | "s3"
    bucket: str | None
    path: str  # absolute local path, or the S3 key ("" for a bucket's root)

    # ---------------------------------------------------------------------------------- naming

    @classmethod
    def parse(cls, uri: str | os.PathLike | Location) -> Location:
        """`s3://bucket/prefix`, `file:///abs/path` or a plain (relative or absolute) path."""
        if isinstance(uri, Location):
            return uri
        text = os.fspath(uri)
        if not text:
            raise ValueError("empty storage location")
        u = urlparse(text)
        if u.scheme == "s3":
            if not u.netloc:
                raise ValueError(f"s3 URI without a bucket: {text!r}")
            return cls("s3", u.netloc, u.path.strip("/"))
        if u.scheme == "file":
            return cls("file", None, _local(unquote(u.path) or "/"))
        if u.scheme and len(u.scheme) > 1:  # a Windows drive letter is not a scheme
            raise ValueError(
                f"unsupported storage URI scheme {u.scheme!r} in {text!r} (use s3://, file:// or a path)"
            )
        return cls("file", None, _local(text))

    @property
    def is_local(self) -> bool:
        return self.scheme == "file"

    @property
    def uri(self) -> str:
        if self.scheme == "s3":
            return f"s3://{self.bucket}/{self.path}".rstrip("/")
        return "file://" + quote(self.path, safe="/=:@+,-._~")

    def __str__(self) -> str:
        return self.uri

    @property
    def name(self) -> str:
        return self.path.rstrip("/").rsplit("/", 1)[-1]

    def child(self, *names: str) -> Location:
        """A location below this one; each name may hold `/`-separated parts (`table/run_id=R`)."""
        parts = [p.strip("/") for n in names for p in n.split("/") if p.strip("/")]
        if any(p in (".", "..") for p in parts):
            raise ValueError(f"{names!r}: a child name has no . or .. parts")
        if not parts:
            return self
        joined = "/".join(parts)
        if self.scheme == "s3":
            return Location("s3", self.bucket, f"{self.path}/{joined}" if self.path else joined)
        return Location("file", None, f"{self.path.rstrip('/')}/{joined}")

    @property
    def parent(self) -> Location:
        head = self.path.rstrip("/").rsplit("/", 1)[0] if "/" in self.path.strip("/") else ""
        return Location(self.scheme, self.bucket, head if self.scheme == "s3" else (head or "/"))

    # ---------------------------------------------------------------------------------- reading

    def stat(self) -> Entry | None:
        """The file or object here (size, mtime), or None when there is none."""
        if self.scheme == "s3":
            try:
                head = _s3().head_object(Bucket=self.bucket, Key=self.path)
            except Exception as exc:
                if _not_found(exc):
                    return None
                raise _error("stat", self, exc) from exc
            mtime = head.get("LastModified")
            return Entry(
                self.name, False, head.get("ContentLength"), int(mtime.timestamp() * 1e9) if mtime else None
            )
        try:
            st = os.stat(self.path)
        except (FileNotFoundError, NotADirectoryError):  # a file where a parent directory would be
            return None
        if not os.path.isfile(self.path):
            return None
        return Entry(self.name, False, st.st_size, st.st_mtime_ns)

    def exists(self) -> bool:
        """A file or object exists here."""
        return self.stat() is not None

    def list(self) -> list[Entry]:
        """What is directly inside this directory (S3: under `path/`), sorted by name; [] when nothing is."""
        if self.scheme == "s3":
            prefix = f"{self.path}/" if self.path else ""
            out: list[Entry] = []
            try:
                pages = (
                    _s3()
                    .get_paginator("list_objects_v2")
                    .paginate(Bucket=self.bucket, Prefix=prefix, Delimiter="/")
                )
                for page in pages:
                    for cp in page.get("CommonPrefixes", []):
                        out.append(Entry(cp["Prefix"][len(prefix) :].rstrip("/"), True))
                    for obj in page.get("Contents", []):
                        mtime = obj.get("LastModified")
                        out.append(
                            Entry(
                                obj["Key"][len(prefix) :],
                                False,
                                obj.get("Size"),
                                int(mtime.timestamp() * 1e9) if mtime else None,
                            )
                        )
            except Exception as exc:
                raise _error("list", self, exc) from exc
            return sorted(out, key=lambda e: e.name)
        try:
            with os.scandir(self.path) as it:
                out = []
                for d in it:
                    if d.is_dir():
                        out.append(Entry(d.name, True))
                    elif d.is_file():
                        st = d.stat()
                        out.append(Entry(d.name, False, st.st_size, st.st_mtime_ns))
        except (FileNotFoundError, NotADirectoryError):
            return []
        return sorted(out, key=lambda e: e.name)

    def walk(self) -> Iterator[Location]:
        """Every file below this directory, in name order."""
        for entry in self.list():
            child = self.child(entry.name)
            if entry.is_dir:
                yield from child.walk()
            else:
                yield child

    def read_bytes(self) -> bytes:
        if self.scheme == "s3":
            try:
                return _s3().get_object(Bucket=self.bucket, Key=self.path)["Body"].read()
            except Exception as exc:
                if _not_found(exc):
                    raise FileNotFoundError(f"{self.uri} not found") from None
                raise _error("read", self, exc) from exc
        try:
            return Path(self.path).read_bytes()
        except FileNotFoundError:
            raise FileNotFoundError(f"{self.uri} not found") from None

    def open_read(self) -> IO[bytes]:
        """A binary stream over the file or object, read as it is consumed."""
        if self.scheme == "s3":
            try:
                return _s3().get_object(Bucket=self.bucket, Key=self.path)["Body"]
            except Exception as exc:
                if _not_found(exc):
                    raise FileNotFoundError(f"{self.uri} not found") from None
                raise _error("read", self, exc) from exc
        return open(self.path, "rb")  # noqa: SIM115 - the caller closes it

    # ---------------------------------------------------------------------------------- writing

    def write_bytes(self, data: bytes) -> None:
        """Readers see the old content or the whole new one: a temp file renamed into place, one PUT on S3."""
        if self.scheme == "s3":
            try:
                _s3().put_object(Bucket=self.bucket, Key=self.path, Body=data)
            except Exception as exc:
                raise _error("write", self, exc) from exc
            return
        with _temp_beside(self.path) as (fh, tmp):
            fh.write(data)
        os.replace(tmp, self.path)

    def create_exclusive(self, data: bytes) -> bool:
        """Create the file or object here with `data` only if there is none: True when this call created it,
        False when one was already there. Atomic: of two callers, exactly one creates it, and readers never see
        a half-written file (locally a complete temp file is hard-linked into place, which fails if the name
        exists, like O_EXCL; on S3 one PUT with `If-None-Match: *`)."""
        if self.scheme == "s3":
            try:
                _s3().put_object(Bucket=self.bucket, Key=self.path, Body=data, IfNoneMatch="*")
            except Exception as exc:
                if _error_code(exc) in ("PreconditionFailed", "412", "ConditionalRequestConflict", "409"):
                    return False  # there is one, or another conditional write of it is under way
                raise _error("create", self, exc) from exc
            return True
        with _temp_beside(self.path) as (fh, tmp):
            fh.write(data)
        try:
            os.link(tmp, self.path)
        except FileExistsError:
            return False
        finally:
            Path(tmp).unlink(missing_ok=True)
        return True

    def upload(self, local_file: str | os.PathLike) -> None:
        """Store a local file here, atomically (copied to a temp name and renamed; S3: one upload)."""
        if self.scheme == "s3":
            try:
                _s3().upload_file(os.fspath(local_file), self.bucket, self.path)
            except Exception as exc:
                raise _error("upload", self, exc) from exc
            return
        with open(local_file, "rb") as src, _temp_beside(self.path) as (fh, tmp):
            while chunk := src.read(1 << 20):
                fh.write(chunk)
        os.replace(tmp, self.path)

    def makedirs(self) -> None:
        """Create this local directory and its parents with mode 0755 (S3 has no directories)."""
        if self.scheme == "file":
            _makedirs(self.path)

    def delete(self) -> None:
        """Remove the file or object here; a missing one is fine."""
        if self.scheme == "s3":
            try:
                _s3().delete_object(Bucket=self.bucket, Key=self.path)
            except Exception as exc:
                if not _not_found(exc):
                    raise _error("delete", self, exc) from exc
            return
        Path(self.path).unlink(missing_ok=True)

    def delete_tree(self) -> None:
        """Remove everything below this location, and the local directory itself."""
        for f in list(self.walk()):
            f.delete()
        if self.scheme == "file":
            for dirpath, _dirs, _files in sorted(os.walk(self.path), key=lambda t: -len(t[0])):
                try:
                    os.rmdir(dirpath)
                except OSError:
                    pass
        elif self.stat() is not None:
            self.delete()

    # ---------------------------------------------------------------------------------- Arrow

    def arrow(self) -> tuple[Any, str]:
        """(pyarrow FileSystem, path) for Arrow streams over this location."""
        if self.scheme == "s3":
            return _arrow_s3(), f"{self.bucket}/{self.path}".rstrip("/")
        import pyarrow.fs as pafs

        return pafs.LocalFileSystem(), self.path


@contextlib.contextmanager
def _temp_beside(target: str) -> Iterator[tuple[IO[bytes], str]]:
    """A hidden temp file next to `target` (same filesystem, so the rename is atomic), fsynced, mode 0644."""
    parent = os.path.dirname(target)
    _makedirs(parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=".tmp", dir=parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh, tmp
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, FILE_MODE)  # mkstemp creates 0600
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _local(text: str) -> str:
    return str(Path(text).expanduser().resolve())


def _makedirs(path: str) -> None:
    if os.path.isdir(path):
        return
    parent = os.path.dirname(path)
    if parent and parent != path:
        _makedirs(parent)
    try:
        os.mkdir(path, DIR_MODE)
        os.chmod(path, DIR_MODE)  # mkdir's mode is masked by the umask
    except FileExistsError:
        pass


def _error(what: str, loc: Location, exc: BaseException) -> StorageError:
    return StorageError(f"cannot {what} {loc.uri}: {type(exc).__name__}: {exc}")


def _error_code(exc: BaseException) -> str | None:
    response = getattr(exc, "response", None)
    return response.get("Error", {}).get("Code") if isinstance(response, dict) else None


def _not_found(exc: BaseException) -> bool:
    return _error_code(exc) in ("404", "NoSuchKey", "NotFound")


_clients: dict[tuple, Any] = {}
_clients_lock = threading.Lock()


def endpoint_url() -> str | None:
    return os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or None


def region() -> str | None:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or None


def _client_key(kind: str) -> tuple:
    env = os.environ
    return (kind, endpoint_url(), region(), env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_PROFILE"), _timeouts)


def _s3():
    """A boto3 S3 client for the current endpoint, region and credentials (cached: boto3 clients are thread-safe)."""
    key = _client_key("s3")
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            import boto3
            from botocore.config import Config

            client = _clients[key] = boto3.session.Session().client(
                "s3",
                endpoint_url=key[1],
                region_name=key[2],
                config=Config(
                    connect_timeout=key[5].connect,
                    read_timeout=key[5].read,
                    retries={"max_attempts": key[5].attempts, "mode": "standard"},
                ),
            )
        return client


def s3_client():
    """The shared boto3 S3 client (for callers that need an S3 API this module does not wrap)."""
    return _s3()


def _arrow_s3():
    key = _client_key("arrow")
    with _clients_lock:
        fs = _clients.get(key)
        if fs is None:
            import pyarrow.fs as pafs

            kwargs: dict[str, Any] = {"connect_timeout": key[5].connect, "request_timeout": key[5].read}
            if key[1]:
                u = urlparse(key[1])
                kwargs["endpoint_override"] = u.netloc if u.scheme and u.netloc else key[1]
                if u.scheme:
                    kwargs["scheme"] = u.scheme
            if key[2]:
                kwargs["region"] = key[2]
            fs = _clients[key] = pafs.S3FileSystem(**kwargs)
        return fs
