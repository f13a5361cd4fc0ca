"""README.md and docs/ must name every spider, CLI command, DAG Variable and CRICKET_* setting the code has.

Each list is discovered from the code (Scrapy's spider loader, the argparse parsers behind the
console scripts, the DAG sources, the settings modules), so a new spider, subcommand, Variable or
setting fails this test until it is documented.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import importlib.metadata
import os
import re
from pathlib import Path

import pytest

from tests.helpers import REPO

CRICKET_NAME = re.compile(r"\bCRICKET_[A-Z0-9_]*[A-Z0-9]\b")


def doc_text() -> str:
    files = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]
    return "\n".join(p.read_text(encoding="utf-8") for p in files if p.is_file())


# ------------------------------------------------------------------ discovery


def spiders() -> list[str]:
    from scrapy.spiderloader import get_spider_loader
    from scrapy.utils.project import get_project_settings

    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    return sorted(get_spider_loader(get_project_settings()).list())


def _subcommands(parser: argparse.ArgumentParser) -> list[str]:
    return sorted(
        name
        for action in parser._actions  # argparse keeps subparsers only here
        if isinstance(action, argparse._SubParsersAction)
        for name in action.choices
    )


def cli_commands() -> list[str]:
    """Console scripts (the installed project's entry points) and their subcommands; `python -m PKG SUB` for packages with their own parser."""
    scripts = {
        ep.name: ep.value
        for ep in importlib.metadata.distribution("cricket-stats").entry_points
        if ep.group == "console_scripts"
    }
    commands = []
    for script, target in sorted(scripts.items()):
        module_name = target.split(":")[0]
        commands.append(script)
        module = importlib.import_module(module_name)
        if hasattr(module, "build_parser"):
            commands += [f"{script} {sub}" for sub in _subcommands(module.build_parser())]
    for main in sorted(REPO.glob("*/__main__.py")):
        source = main.read_text()
        if "def build_parser" not in source:  # e.g. transform/__main__.py just calls the console script
            continue
        module = importlib.import_module(f"{main.parent.name}.__main__")
        commands += [f"python -m {main.parent.name} {sub}" for sub in _subcommands(module.build_parser())]
    return commands


def dag_variables() -> list[str]:
    """Names the DAG reads as Airflow Variables (Variable.get, {{ var.value... }}) and its CRICKET_* names."""
    names = set()
    accessor = re.compile(
        r"""(?:Variable\.get|var\.value\.get|var\.value|\bvar|\brequired)\(\s*['"]([A-Za-z0-9_]+)['"]"""
    )
    for path in sorted((REPO / "dags").glob("*.py")):
        source = path.read_text()
        names.update(accessor.findall(source))
        names.update(CRICKET_NAME.findall(source))
    return sorted(names)


def _env_helpers(tree: ast.Module) -> set[str]:
    """Functions that read `f"CRICKET_{name}"` (crawler/settings.py's `_env("ROBOTSTXT_OBEY", True)`)."""
    helpers = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            for sub in ast.walk(node):
                if isinstance(sub, ast.JoinedStr) and sub.values and isinstance(sub.values[0], ast.Constant):
                    if sub.values[0].value == "CRICKET_":
                        helpers.add(node.name)
    return helpers


def settings() -> list[str]:
    """CRICKET_* setting and environment names in the crawler and transformer sources."""
    names = set()
    for path in sorted([*(REPO / "crawler").rglob("*.py"), *(REPO / "transform").rglob("*.py")]):
        source = path.read_text()
        names.update(CRICKET_NAME.findall(source))
        tree = ast.parse(source)
        helpers = _env_helpers(tree)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in helpers
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                names.add(f"CRICKET_{node.args[0].value}")
    return sorted(names)


# ------------------------------------------------------------------ discovery finds what the issues promise


def test_discovery_finds_the_known_surface():
    assert {"statsguru", "player_stats", "profiles"} <= set(spiders())
    assert {"cricket-scrape", "cricket-transform"} <= set(cli_commands())
    assert {f"cricket-transform {c}" for c in ("run", "publish", "ddl", "query")} <= set(cli_commands())
    assert "CRICKET_BACKEND" in dag_variables()
    assert {"CRICKET_RAW_URI", "CRICKET_CURATED_URI"} <= set(settings())


# ------------------------------------------------------------------ documented


def _spider_documented(name: str, text: str) -> bool:
    return f"cricket-scrape {name}" in text or f"scrapy crawl {name}" in text


CHECKS = {
    "spiders (as `cricket-scrape NAME` or `scrapy crawl NAME`)": (spiders, _spider_documented),
    "CLI commands": (cli_commands, lambda name, text: name in text),
    "DAG Variables": (
        dag_variables,
        lambda name, text: re.search(rf"\b{re.escape(name)}\b", text) is not None,
    ),
    "CRICKET_* settings": (
        settings,
        lambda name, text: re.search(rf"\b{re.escape(name)}\b", text) is not None,
    ),
}


@pytest.mark.parametrize("kind", list(CHECKS))
def test_readme_and_docs_name_everything(kind):
    discover, documented = CHECKS[kind]
    text = doc_text()
    missing = [name for name in discover() if not documented(name, text)]
    assert not missing, f"README.md / docs/*.md do not mention these {kind}: {', '.join(missing)}"


def test_the_check_notices_a_forgotten_name(tmp_path):
    text = "cricket-scrape statsguru\ncricket-transform run\nCRICKET_RAW_URI"
    assert _spider_documented("statsguru", text) and not _spider_documented("profiles", text)
    assert CHECKS["CRICKET_* settings"][1]("CRICKET_RAW_URI", text)
    assert not CHECKS["CRICKET_* settings"][1]("CRICKET_RAW", text)  # a prefix is not a mention


def test_docs_exist():
    for name in ("deploy.md", "powerbi.md"):
        assert (REPO / "docs" / name).is_file()
    assert Path(REPO / "README.md").is_file()
