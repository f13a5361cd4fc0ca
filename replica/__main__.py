"""`python -m replica serve|truth`: run the Statsguru replica site, or write its ground truth."""

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


def _positive(text: str) -> int:
    v = int(text)
    if v < 1:
        raise argparse.ArgumentTypeError(f"{text} must be at least 1")
    return v


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
    t = sub.add_parser("truth", help="write DIR/<table>.jsonl ground truth")
    t.add_argument("--players", type=_positive, default=3000)
    t.add_argument("--seed", type=int, default=7)
    t.add_argument("--out", type=Path, required=True)
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
    )
    rep = Replica(opts)
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
        f"replica: {args.players} players, seed {args.seed}, {len(rep.model.matches)} matches, ready in "
        f"{time.monotonic() - t0:.1f}s",
        file=sys.stderr,
        flush=True,
    )
    await stop.wait()
    await runner.cleanup()
    await warm


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        asyncio.run(_serve(args))
        return 0
    from replica.model import Model
    from replica.truth import write_truth

    counts = write_truth(Model(args.players, args.seed), args.out)
    for table, n in counts.items():
        print(f"{table}: {n} rows -> {args.out / (table + '.jsonl')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
