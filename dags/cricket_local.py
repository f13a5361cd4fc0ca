"""The `local` backend: run a step's command line as a subprocess on the worker, streaming its output to the task log."""

from __future__ import annotations

import collections
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from cricket_runtime import exit_verdict

log = logging.getLogger(__name__)

TAIL_LINES = 12  # lines of output repeated in the failure message


def resolve_program(name: str) -> str:
    """The executable for `name`: on PATH, else beside this interpreter (a venv's bin/ that is not on PATH)."""
    found = shutil.which(name)
    if found:
        return found
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    raise FileNotFoundError(
        f"{name} is not on PATH nor beside {sys.executable}; install cricket-stats on the worker"
    )


def run_step(step: str, argv: Sequence[str], *, env: dict[str, str] | None = None) -> None:
    """Run one command; raise AirflowFailException for final verdicts (blocked, drift), AirflowException otherwise."""
    try:
        from airflow.sdk.exceptions import AirflowException, AirflowFailException
    except ImportError:  # Airflow 3.0 keeps them in airflow.exceptions
        from airflow.exceptions import AirflowException, AirflowFailException

    argv = [str(a) for a in argv]
    cmd = [resolve_program(argv[0]), *argv[1:]]
    log.info("%s: %s", step, " ".join(argv))
    tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
    # Output goes line by line into the task log, so a drift or block message is visible there.
    with subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            line = line.rstrip("\n")
            tail.append(line)
            log.info("%s", line)
        code = proc.wait()
    if code == 0:
        log.info("%s finished (exit 0)", step)
        return
    retryable, message = exit_verdict(step, code, tail)
    raise (AirflowException if retryable else AirflowFailException)(message)
