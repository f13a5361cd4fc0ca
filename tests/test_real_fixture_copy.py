"""The vendored copy of the real pages stays byte-identical to ../shared/fixtures/real."""

from __future__ import annotations

import pytest

from tests.conftest import REAL, VENDORED


@pytest.mark.skipif(not REAL.is_dir(), reason="no ../shared beside this clone: the copy is all there is")
def test_vendored_real_fixtures_equal_shared():
    shared = {str(p.relative_to(REAL)): p.read_bytes() for p in REAL.rglob("*") if p.is_file()}
    vendored = {str(p.relative_to(VENDORED)): p.read_bytes() for p in VENDORED.rglob("*") if p.is_file()}
    assert sorted(vendored) == sorted(shared)
    assert [n for n in shared if shared[n] != vendored[n]] == []
