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
            # a results list of the class, and the same rows as a player's own innings view shows them
            assert site.innings_rows_html(typ, rows, cls) == [
                site._innings_row(typ, int(r), cls) for r in rows
            ]
            own = site.innings_rows_html(typ, rows, cls, own=True)
            assert own == [site._innings_row(typ, int(r), cls, own=True) for r in rows]
