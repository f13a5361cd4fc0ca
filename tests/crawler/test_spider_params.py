"""Spider parameters declared once (cricket_contract.params): the spiders, cricket-scrape's flags, JSON Schemas."""

from __future__ import annotations

import fastjsonschema
import pytest
from scrapy.utils.test import get_crawler

from crawler.cli import build_parser
from crawler.spiders.player_stats import PlayerStatsSpider
from crawler.spiders.profiles import ProfilesSpider
from crawler.spiders.statsguru import StatsguruSpider
from cricket_contract import params


def spider(cls, **kwargs):
    return cls.from_crawler(
        get_crawler(cls, {"CRICKET_RUN_ID": "r1", "CRICKET_BASE_URL": "https://stats.espncricinfo.com/"}),
        **kwargs,
    )


def test_spiders_take_typed_values_and_defaults():
    s = spider(StatsguruSpider, classes="3, 1", view="innings", size="50")
    assert (s.classes, s.types, s.view, s.size) == ((3, 1), ("batting", "bowling", "fielding"), "innings", 50)
    assert (s.run_id, s.base_url) == ("r1", "https://stats.espncricinfo.com")
    p = spider(PlayerStatsSpider, player_ids="5,3,5")
    assert (p.player_ids, p.from_raw, p.classes) == ((5, 3), None, (11,))
    pr = spider(ProfilesSpider, player_ids=[7, 8], render_timeout_ms="3000")
    assert (pr.player_ids, pr.render, pr.render_timeout_ms) == ((7, 8), "auto", 3000)


def test_recorded_arguments_as_given_or_the_defaults_text():
    s = spider(StatsguruSpider, classes="3", base_url="http://127.0.0.1:9", extra="x")
    assert s.arguments == {
        "extra": "x",
        "base_url": "http://127.0.0.1:9",
        "classes": "3",
        "types": "batting,bowling,fielding",
        "view": "career",
        "size": "200",
    }
    assert spider(ProfilesSpider, player_ids="1,2").arguments == {
        "player_ids": "1,2",
        "render": "auto",
        "render_timeout_ms": 15000,
    }
    assert spider(PlayerStatsSpider, from_raw="file:///r").arguments == {
        "from_raw": "file:///r",
        "view": "career",
        "types": "batting,bowling,fielding",
        "classes": "11",
    }


@pytest.mark.parametrize(
    ("cls", "kwargs", "message"),
    [
        (StatsguruSpider, {"classes": "1,x"}, "classes: 'x' is not an integer"),
        (StatsguruSpider, {"classes": "4"}, "classes: [4] not in [1, 2, 3, 8, 9, 10, 11]"),
        (StatsguruSpider, {"types": "batting,catching"}, "types: ['catching'] not in"),
        (StatsguruSpider, {"view": "weekly"}, "view='weekly': expected one of career, innings"),
        (StatsguruSpider, {"size": "7"}, "size='7': expected one of 10, 25, 50, 100, 150, 200"),
        (StatsguruSpider, {"run_id": "bad/id"}, "run id 'bad/id'"),
        (ProfilesSpider, {"render": "sometimes"}, "render='sometimes': expected one of auto, always, never"),
        (ProfilesSpider, {"player_ids": "12,0"}, "player_ids: '0' is not a player id"),
        (ProfilesSpider, {"render_timeout_ms": "soon"}, "render_timeout_ms='soon': expected a positive"),
        (PlayerStatsSpider, {"player_ids": "1", "from_raw": "x"}, "give player_ids or from_raw, not both"),
    ],
)
def test_bad_values_name_the_parameter(cls, kwargs, message):
    with pytest.raises(ValueError) as err:
        spider(cls, **kwargs)
    assert message in str(err.value)


def test_cli_flags_are_the_declared_parameters():
    parser = build_parser()
    flags = {opt for a in parser._actions for opt in a.option_strings}  # argparse keeps them only here
    assert {p.flag for p in params.cli_params()} <= flags
    args = parser.parse_args(["profiles", "--from-raw", "a", "--from-raw", "b", "--view", "innings"])
    assert (args.from_raw, args.view) == (["a", "b"], "innings")
    with pytest.raises(SystemExit):  # player_ids and from_raw exclude each other
        parser.parse_args(["profiles", "--from-raw", "a", "--player-ids", "1"])


@pytest.mark.parametrize("spider_name", sorted(params.SPIDERS))
def test_every_declaration_has_a_json_schema_its_default_meets(spider_name):
    for p in params.spider_params(spider_name).values():
        schema = p.schema()
        validate = fastjsonschema.compile(schema)
        assert schema["description"]
        if p.default is not None:
            assert validate(schema["default"]) == schema["default"]
        if p.allowed is not None:
            with pytest.raises(fastjsonschema.JsonSchemaException):
                validate(["no such value"] if schema["type"] == "array" else "no such value")
