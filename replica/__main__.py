"""`python -m replica serve|truth|info`: run the Statsguru replica site, write its ground truth, or describe it."""

from __future__ import annotations

import argparse
import asyncio
import gc
import signal
import sys
import time
from pathlib import Path


def _fraction(text: str) -> float:
    v = float(text)
    if not 0.0 <= v <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not a fraction between 0 and 1")
    return v


def _at_least(low: int):
    """An argparse type: a whole number of at least `low`."""

    def parse(text: str) -> int:
        v = int(text)
        if v < low:
            raise argparse.ArgumentTypeError(f"{text} must be at least {low}")
        return v

    return parse


_positive = _at_least(1)


NO_BOUNDARIES_HELP = (
    "classes whose career batting lists leave out 4s and 6s, as a real 2019 ODI list did (the map says they are "
    "optional); default 2 (the ODI lists); 'none' for every list with them"
)


def _iso_date(text: str):
    from replica.timeline import parse_date

    try:
        return parse_date(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


AS_OF_HELP = (
    "the world as it stood on this day (YYYY-MM-DD): only matches started on or before it; "
    "default: the world's last day"
)
CORRECTIONS_HELP = (
    "innings amended each week (a changed run or wicket count, some recent, some years old; seeded), "
    "from the correction weeks' first Monday on; default 0"
)


def _time_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--as-of", type=_iso_date, default=None, metavar="YYYY-MM-DD", help=AS_OF_HELP)
    p.add_argument("--corrections", type=_at_least(0), default=0, metavar="N", help=CORRECTIONS_HELP)


def _classes(text: str) -> frozenset[int]:
    if text.strip().lower() == "none":
        return frozenset()
    try:
        return frozenset(int(c) for c in text.split(",") if c.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"a comma list of classes, got {text!r}") from None


def _boundaries(args: argparse.Namespace) -> dict:
    """`no_boundaries` when the flag was given; else the replica's default (replica.pages.NO_BOUNDARIES)."""
    return {} if args.no_boundary_columns is None else {"no_boundaries": args.no_boundary_columns}


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m replica", description=__doc__)
    sub = ap.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="serve the replica site until SIGTERM/SIGINT")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    s.add_argument("--players", type=_positive, default=3000)
    s.add_argument("--seed", type=int, default=7)
    s.add_argument("--latency-ms", type=float, default=0.0)
    s.add_argument("--fault-rate", type=_fraction, default=0.0)
    s.add_argument("--stall-s", type=float, default=30.0)
    s.add_argument("--block-after", type=int, default=0, help="after N requests answer every request 403")
    s.add_argument("--robots", choices=("open", "strict"), default="open")
    s.add_argument("--drift", choices=("none", "headers"), default="none")
    s.add_argument("--js-only-profiles", type=_fraction, default=0.0)
    s.add_argument("--broken-profiles", type=_fraction, default=0.0)
    s.add_argument("--no-boundary-columns", type=_classes, default=None, help=NO_BOUNDARIES_HELP)
    s.add_argument(
        "--cricsheet-from",
        type=int,
        default=2001,
        metavar="YEAR",
        help="Cricsheet's archives hold matches from YEAR on",
    )
    s.add_argument(
        "--cricsheet-perturb",
        type=_fraction,
        default=0.0,
        help="give this fraction of Cricsheet's matches one run off the bat more than their scorecards",
    )
    _time_args(s)
    t = sub.add_parser("truth", help="write DIR/<table>.jsonl ground truth")
    t.add_argument(
        "--cricsheet-from",
        type=int,
        default=None,
        metavar="YEAR",
        help="also write matches.jsonl and people.jsonl of the Cricsheet archives serve --cricsheet-from YEAR gives",
    )
    t.add_argument("--players", type=_positive, default=3000)
    t.add_argument("--seed", type=int, default=7)
    t.add_argument("--out", type=Path, required=True)
    t.add_argument("--no-boundary-columns", type=_classes, default=None, help=NO_BOUNDARIES_HELP)
    _time_args(t)
    i = sub.add_parser("info", help="print one JSON line describing the world (dates, size, pace)")
    i.add_argument("--players", type=_positive, default=3000)
    i.add_argument("--seed", type=int, default=7)
    _time_args(i)
    return ap


async def _serve(args: argparse.Namespace) -> None:
    from aiohttp import web

    from replica.server import Options, Replica

    t0 = time.monotonic()
    opts = Options(
        players=args.players,
        seed=args.seed,
        latency_ms=args.latency_ms,
        fault_rate=args.fault_rate,
        stall_s=args.stall_s,
        block_after=args.block_after,
        robots=args.robots,
        drift=args.drift,
        js_only_profiles=args.js_only_profiles,
        broken_profiles=args.broken_profiles,
        **_boundaries(args),
        as_of=args.as_of,
        corrections=args.corrections,
        cricsheet_from=args.cricsheet_from,
        cricsheet_perturb=args.cricsheet_perturb,
    )
    try:
        rep = Replica(opts)
    except ValueError as exc:  # a day outside the world: one line, before the port is bound
        print(f"python -m replica serve: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    gc.freeze()  # the model lives as long as the server: keep the collector from rescanning it
    runner = web.AppRunner(rep.app(), access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, args.host, args.port, backlog=2048)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # the bound port (differs from args.port when 0)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"serving http://{args.host}:{port}", flush=True)
    # aggregate every results list in the background: the site already answers (lazily) meanwhile
    warm = loop.run_in_executor(None, rep.site.warm)
    print(
        f"replica: {args.players} players, seed {args.seed}, {rep.model.last_match_idx + 1} matches"
        f"{f' as of {args.as_of}' if args.as_of else ''}, ready in {time.monotonic() - t0:.1f}s",
        file=sys.stderr,
        flush=True,
    )
    await stop.wait()
    await runner.cleanup()
    await warm


def _model(args: argparse.Namespace):
    """The world of (players, seed) as of `--as-of` with `--corrections`; exits 2 with one line when the day is
    outside the world."""
    from replica import timeline
    from replica.model import Model

    try:
        return timeline.as_of(Model(args.players, args.seed), args.as_of, args.corrections)
    except ValueError as exc:
        print(f"python -m replica {args.command}: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        asyncio.run(_serve(args))
        return 0
    if args.command == "info":
        import json

        from replica.timeline import info

        print(json.dumps(info(_model(args)), sort_keys=True))
        return 0
    from replica.truth import write_truth

    model = _model(args)
    counts = write_truth(model, args.out, **_boundaries(args))
    if args.cricsheet_from is not None:
        from replica import cricsheet

        counts |= cricsheet.write_truth(model, args.out, args.cricsheet_from)
    for table, n in counts.items():
        print(f"{table}: {n} rows -> {args.out / (table + '.jsonl')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
