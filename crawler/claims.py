"""Run-id claims: `{raw}/{spider}/run_id={run_id}/_claim.json`, created atomically by the crawl that owns the run."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import os
import socket
import threading
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from cricket_contract.layout import MANIFEST
from cricket_storage import Location

logger = logging.getLogger(__name__)

CLAIM = "_claim.json"
TAKEOVER_SETTING = "CRICKET_CLAIM_TAKEOVER"
RENEW_S = 60.0  # a running crawl renews its claim this often (CRICKET_CLAIM_RENEW_S)
STALE_S = (
    300.0  # a claim from another host not renewed for this long is a dead crawl's (CRICKET_CLAIM_STALE_S)
)
_TIME = "%Y-%m-%dT%H:%M:%SZ"


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime(_TIME)


def _age_s(stamp: Any) -> float | None:
    try:
        then = dt.datetime.strptime(stamp, _TIME).replace(tzinfo=dt.timezone.utc)
    except (TypeError, ValueError):
        return None
    return (dt.datetime.now(dt.timezone.utc) - then).total_seconds()


class RunRefused(Exception):
    """The crawl may not write this run; `reason` becomes the spider's finish reason (exit 1)."""

    reason = "run_refused"


class RunFinished(RunRefused):
    reason = "run_finished"


class RunClaimed(RunRefused):
    reason = "run_claimed"


def _pid_alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return True  # unknown: assume it runs
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: it exists, under another user
        return True
    return True


def _same_dir(a: Any, b: Any) -> bool:
    return isinstance(a, str) and isinstance(b, str) and os.path.realpath(a) == os.path.realpath(b)


@dataclass
class RunClaim:
    """The claim of one raw run by one crawl.

    A crawl opens its run by creating the claim with an atomic create (O_EXCL-like locally, a PUT with
    `If-None-Match: *` on S3), which is also the first write to the destination: a read-only directory or a
    missing bucket stops the crawl before any page is fetched. When a claim is already there, the crawl goes
    on only as that claim's continuation:
      - the same JOBDIR (a resume: the ledger there belongs to this run and this raw location), unless the
        holder is still running on this host;
      - a holder on this host whose process is gone (a killed crawl: its claim is stale);
      - a holder elsewhere that has not renewed its claim for `stale_s` seconds (a running crawl renews it
        every `RENEW_S`; a killed container stops renewing);
      - `-s CRICKET_CLAIM_TAKEOVER=1`, for a holder known to be dead elsewhere, without waiting.
    Anything else is refused, naming the holder. The claim is deleted when the crawl ends in-process; only a
    killed crawl (or one whose destination failed) leaves it behind. A finished run (`_manifest.json`
    present) is never written again: not claimed, not added to.
    """

    run: Location  # the run directory
    run_id: str
    spider: str
    jobdir: str | None = None
    takeover: bool = False
    stale_s: float = STALE_S
    token: str = field(default_factory=lambda: uuid.uuid4().hex)
    claimed_at: str = field(default_factory=_now)
    held: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def location(self) -> Location:
        return self.run.child(CLAIM)

    def body(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "spider": self.spider,
            "raw": self.run.uri,
            "claim": self.token,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "jobdir": os.path.realpath(self.jobdir) if self.jobdir else None,
            "claimed_at": self.claimed_at,
            "renewed_at": _now(),
        }

    def renew(self) -> str | None:
        """Rewrite the claim with a fresh `renewed_at` while it is ours; why not (it was lost), else None."""
        with self._lock:  # never after release: a renewal in flight must not bring a released claim back
            if not self.held:
                return None
            lost = self.lost()
            if lost is None:
                self.location.write_bytes(json.dumps(self.body(), indent=2).encode())
            return lost

    def refuse_if_finished(self) -> None:
        if self.run.child(MANIFEST).exists():
            raise RunFinished(
                f"run {self.run_id} at {self.run.uri} is finished (its {MANIFEST} is there) and a finished raw "
                "run is never written again: crawl with a new --run-id"
            )

    def acquire(self) -> str | None:
        """Claim the run (RunClaimed when another crawl holds it; OSError when the destination cannot be
        written). Returns what to log when an existing claim was resumed or taken over, else None."""
        self.refuse_if_finished()
        data = json.dumps(self.body(), indent=2).encode()
        if self.location.create_exclusive(data):
            self.held = True
            self._recheck_finished()
            return None
        holder = self.read()
        note = self._continuation(holder)  # RunClaimed when it is not ours to continue
        self.location.write_bytes(data)
        self.held = True
        self._recheck_finished()
        return note

    def _recheck_finished(self) -> None:
        try:  # a crawl that finished between our first look and our claim
            self.refuse_if_finished()
        except RunFinished:
            self.release()
            raise

    def read(self) -> dict[str, Any] | None:
        try:
            holder = json.loads(self.location.read_bytes())
        except FileNotFoundError:
            return None
        except (ValueError, UnicodeDecodeError):
            return {}
        return holder if isinstance(holder, dict) else {}

    def _continuation(self, holder: dict[str, Any] | None) -> str:
        if holder is None:
            return f"the claim of run {self.run_id} vanished while it was read: claiming it"
        who = describe(holder)
        here = holder.get("host") == socket.gethostname()
        running_here = here and _pid_alive(holder.get("pid"))
        if running_here:
            raise RunClaimed(
                f"run {self.run_id} at {self.run.uri} is being crawled by {who}: not crawling it twice"
            )
        if self.jobdir and _same_dir(holder.get("jobdir"), self.jobdir):
            return f"resuming the claim of run {self.run_id} ({who})"
        if here:
            return f"taking over the stale claim of run {self.run_id}: {who} is no longer running"
        age = _age_s(holder.get("renewed_at") or holder.get("claimed_at"))
        if age is not None and age > self.stale_s:
            return (
                f"taking over the stale claim of run {self.run_id}: {who} has not renewed it for {age:.0f} s "
                f"(more than {self.stale_s:.0f} s)"
            )
        if self.takeover:
            return f"taking over the claim of run {self.run_id} from {who} ({TAKEOVER_SETTING})"
        raise RunClaimed(
            f"run {self.run_id} at {self.run.uri} is claimed by {who}: resume it with the same JOBDIR, or, if "
            f"that crawl is dead, wait until it has gone {self.stale_s:.0f} s unrenewed or pass -s {TAKEOVER_SETTING}=1"
        )

    def lost(self) -> str | None:
        """Why this crawl no longer holds its claim (another crawl took it, or it is gone), or None."""
        holder = self.read()
        if holder is None:
            return f"its claim {self.location.uri} is gone"
        if holder.get("claim") != self.token:
            return f"its claim is now held by {describe(holder)}"
        return None

    def release(self) -> None:
        """Delete the claim if it is still ours."""
        with self._lock:
            if self.held and self.lost() is None:
                self.location.delete()
            self.held = False


def describe(holder: dict[str, Any]) -> str:
    if not holder:
        return "an unreadable claim"
    jobdir = holder.get("jobdir")
    return (
        f"host {holder.get('host', '?')} pid {holder.get('pid', '?')} since {holder.get('claimed_at', '?')}"
        f" ({'JOBDIR ' + jobdir if jobdir else 'no JOBDIR'}; renewed {holder.get('renewed_at', '?')})"
    )


async def keep_renewed(claim: RunClaim, every: float, lost: Callable[[str], Awaitable[None]]) -> None:
    """Renew `claim` every `every` seconds off the reactor thread until cancelled; await `lost(why)` and stop
    when another crawl has taken it. A failed renewal is logged once (the part stores show an outage)."""
    warned = False
    while True:
        await asyncio.sleep(every)
        try:
            why = await asyncio.to_thread(claim.renew)
        except OSError as exc:
            if not warned:
                logger.warning("could not renew the claim %s: %s", claim.location.uri, exc)
                warned = True
            continue
        if why:
            await lost(why)
            return
