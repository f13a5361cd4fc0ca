"""The fault suite's table: every test in tests/integrity registers the probe it runs and the outcome it asserts.

docs/reliability.md is rendered from this registry (tests/integrity/test_reliability_doc.py keeps them equal).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

AREAS = ("crawl", "raw parts and manifests", "transform input", "publishing")


@dataclass(frozen=True)
class Probe:
    area: str
    probe: str  # what the hostile tester does
    outcome: str  # what the test asserts happens
    test: str  # module::function


REGISTRY: list[Probe] = []


def probe(area: str, what: str, outcome: str) -> Callable:
    """Register the decorated test as the check of one probe of the fault suite."""
    if area not in AREAS:
        raise ValueError(f"unknown area {area!r}; one of {AREAS}")

    def register(fn: Callable) -> Callable:
        REGISTRY.append(Probe(area, what, outcome, f"{fn.__module__.rsplit('.', 1)[-1]}::{fn.__name__}"))
        fn.probe = REGISTRY[-1]
        return fn

    return register


def markdown(probes: list[Probe]) -> str:
    lines = ["| area | probe | outcome (asserted) | test |", "|---|---|---|---|"]
    for area in AREAS:
        for p in sorted((p for p in probes if p.area == area), key=lambda p: p.test):
            lines.append(f"| {p.area} | {p.probe} | {p.outcome} | `{p.test}` |")
    return "\n".join(lines)
