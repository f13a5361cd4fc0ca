"""The vectorised innings-page renderer writes exactly what the cell-by-cell reference renderer writes."""

from __future__ import annotations

import pytest

from replica.model import Model
from replica.pages import Site


@pytest.fixture(scope="module")
def site() -> Site:
    return Site(Model(120, 5))


@pytest.mark.parametrize("typ", ["batting", "bowling", "fielding"])
def test_fast_innings_rows_equal_reference(site, typ):
    for cls in (1, 2, 3, 8, 9, 10, 11):
        order = site.innings_order(cls, typ)
        for rows in (order[:200], order[len(order) // 2 : len(order) // 2 + 200], order[-200:]):
            assert site.innings_rows_html(typ, rows) == [site._innings_row(typ, int(r)) for r in rows]
