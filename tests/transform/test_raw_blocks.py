"""Arrow's fast read of a raw block: `cells` inferred per block, exact text kept, anything odd read the slow way."""

from __future__ import annotations

import json

import pyarrow as pa

from transform import read as raw


def _block(*items: dict) -> bytes:
    return "".join(json.dumps(it) + "\n" for it in items).encode()


def test_inferred_cells_hold_the_known_headers_in_order_as_text():
    tb, unknown = raw._fast_table(
        _block(
            {
                "record": "innings",
                "player_id": 7,
                "cells": {"Start Date": "21 Jul 2011", "Runs": "52*", "Mins": None},
            },
            {"record": "innings", "player_id": 8, "cells": {"Inns": "2", "Runs": "-"}},
            {"record": "innings", "player_id": 9},
        )
    )
    assert tb.schema.names == raw.RAW_SCHEMA.names
    assert tb.schema.field("cells").type == pa.struct(
        [(h, pa.string()) for h in ("Inns", "Runs", "Mins", "Start Date")]
    )
    assert tb.column("cells").to_pylist() == [
        {"Inns": None, "Runs": "52*", "Mins": None, "Start Date": "21 Jul 2011"},
        {"Inns": "2", "Runs": "-", "Mins": None, "Start Date": None},
        None,
    ]
    assert tb.column("player_id").to_pylist() == [7, 8, 9] and unknown == {}


def test_a_cell_arrow_would_take_for_a_timestamp_keeps_its_text():
    tb, _ = raw._fast_table(_block({"record": "innings", "cells": {"Start Date": "2011-07-21", "Runs": "5"}}))
    assert tb.schema.field("cells").type == raw.CELLS_TYPE
    cells = tb.column("cells").to_pylist()[0]
    assert (cells["Start Date"], cells["Runs"]) == ("2011-07-21", "5")


def test_unknown_headers_are_counted_and_left_out_of_the_typed_rows():
    """A header the column map does not know stays in raw and is reported (DQ), never a reject."""
    tb, unknown = raw._fast_table(
        _block(
            {"record": "career", "source_url": "http://x/1", "cells": {"Runs": "5", "Bogus": "1"}},
            {
                "record": "career",
                "source_url": "http://x/2",
                "cells": {"Runs": "6", "Bogus": "2", "Odd": "x"},
            },
            {"record": "career", "source_url": "http://x/3", "cells": {"Runs": "7"}},
        )
    )
    assert tb.schema.field("cells").type == pa.struct([("Runs", pa.string())])
    assert tb.column("cells").to_pylist() == [{"Runs": "5"}, {"Runs": "6"}, {"Runs": "7"}]
    assert unknown == {"Bogus": (2, "http://x/1"), "Odd": (1, "http://x/2")}


def test_non_string_cells_take_the_slow_path():
    assert raw._fast_table(_block({"record": "career", "cells": {"Runs": 5}})) is None
    assert raw._fast_table(_block({"record": "career", "cells": "Runs 5"})) is None
