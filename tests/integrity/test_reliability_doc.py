"""docs/reliability.md lists every probe of the fault suite with the outcome its test asserts."""

from __future__ import annotations

import ast
import importlib
import re

from tests.helpers import REPO
from tests.integrity.probes import REGISTRY, markdown

HERE = REPO / "tests" / "integrity"
MODULES = sorted(p.stem for p in HERE.glob("test_*.py") if p.stem != "test_reliability_doc")


def _probes():
    for name in MODULES:
        importlib.import_module(f"tests.integrity.{name}")
    return list(REGISTRY)


def test_every_fault_test_registers_its_probe():
    registered = {p.test for p in _probes()}
    for name in MODULES:
        tree = ast.parse((HERE / f"{name}.py").read_text())
        tests = {
            f"{name}::{n.name}"
            for n in tree.body
            if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")
        }
        assert tests - registered == set(), f"tests without a @probe: {sorted(tests - registered)}"


def test_the_reliability_page_shows_the_suite():
    text = (REPO / "docs" / "reliability.md").read_text()
    m = re.search(r"<!-- probes:begin -->\n(.*)\n<!-- probes:end -->", text, re.S)
    assert m, "docs/reliability.md lost its generated probe table"
    want = markdown(_probes())
    assert m.group(1) == want, (
        "docs/reliability.md differs from tests/integrity: paste `python -m tests.integrity`"
    )
