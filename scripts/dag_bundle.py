"""`python -m scripts.dag_bundle OUT`: the MWAA DAGs folder — dags/ plus the two packages the DAG imports."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# The DAG's check task reads `_current.json` with the project's own storage layer and contract (standard
# library and boto3 only, both on MWAA): they travel beside the DAG files, and .airflowignore keeps the DAG
# processor out of them.
PACKAGES = ("cricket_contract", "cricket_storage")


def build(out: Path) -> list[str]:
    """Write the bundle to `out` (replacing what is there); the relative paths written."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    skip = shutil.ignore_patterns("__pycache__", "*.pyc")
    for f in sorted((REPO / "dags").iterdir()):
        if f.is_file() and (f.suffix == ".py" or f.name == ".airflowignore"):
            shutil.copy2(f, out / f.name)
    for pkg in PACKAGES:
        shutil.copytree(REPO / pkg, out / pkg, ignore=skip)
    return sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m scripts.dag_bundle OUT_DIR", file=sys.stderr)
        return 2
    for name in build(Path(args[0])):
        print(name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
