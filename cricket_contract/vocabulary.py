"""The domain vocabulary once: classes and formats, types, views, record kinds, participation, exit codes."""

from __future__ import annotations

# Statsguru classes with a curated `format`. Class 11 (Tests + ODIs + T20Is, men) is a query class only.
FORMAT_BY_CLASS: dict[int, str] = {1: "test", 2: "odi", 3: "t20i", 8: "wtest", 9: "wodi", 10: "wt20i"}
CLASS_BY_FORMAT: dict[str, int] = {f: c for c, f in FORMAT_BY_CLASS.items()}
FORMAT_CLASSES: tuple[int, ...] = tuple(FORMAT_BY_CLASS)
ALL_MEN_CLASS = 11
QUERY_CLASSES: tuple[int, ...] = (*FORMAT_CLASSES, ALL_MEN_CLASS)
MEN_CLASSES: tuple[int, ...] = (1, 2, 3)
WOMEN_CLASSES: tuple[int, ...] = (8, 9, 10)
CLASSES_OF_QUERY_CLASS: dict[int, tuple[int, ...]] = {ALL_MEN_CLASS: MEN_CLASSES}
# Multi-innings formats: best-match figures and ten-fors on bowling lists, four innings a match.
TEST_CLASSES = frozenset({1, 8})
GENDER_BY_CLASS: dict[int, str] = {c: ("female" if c in WOMEN_CLASSES else "male") for c in FORMAT_CLASSES}

# The "Career summary" label of a format's row on a player page.
SUMMARY_LABEL_BY_CLASS: dict[int, str] = {
    1: "Test matches",
    2: "One-Day Internationals",
    3: "Twenty20 Internationals",
    8: "Women's Test matches",
    9: "Women's One-Day Internationals",
    10: "Women's Twenty20 Internationals",
}
FORMAT_BY_SUMMARY_LABEL: dict[str, str] = {
    label: FORMAT_BY_CLASS[c] for c, label in SUMMARY_LABEL_BY_CLASS.items()
}
# Match links in innings lists ("Test # 2345", "WODI # 1100") name the format when the class does not.
MATCH_LABEL_BY_CLASS: dict[int, str] = {1: "Test", 2: "ODI", 3: "T20I", 8: "WTest", 9: "WODI", 10: "WT20I"}
FORMAT_BY_MATCH_LABEL: dict[str, str] = {
    label.lower(): FORMAT_BY_CLASS[c] for c, label in MATCH_LABEL_BY_CLASS.items()
}

TYPES: tuple[str, ...] = ("batting", "bowling", "fielding")
VIEWS: tuple[str, ...] = ("career", "innings")
PAGE_SIZES: tuple[int, ...] = (10, 25, 50, 100, 150, 200)
DEFAULT_PAGE_SIZE = 200  # what the crawler asks for (the site's own default is 50)

# Raw record kinds (docs/contracts.md §4).
CAREER = "career"  # a row of a results list in career view (statsguru)
INNINGS = "innings"  # a row of a results list in innings view (statsguru)
PLAYER_CAREER = (
    "player_career"  # a row of a player page's "Career averages" / "Career summary" (player_stats)
)
PROFILE = "profile"  # a player's profile (profiles)
CRICSHEET_MATCH = "cricsheet_match"  # one match file of a Cricsheet archive, its JSON as `data` (cricsheet)
CRICSHEET_PERSON = "cricsheet_person"  # one row of Cricsheet's people register, people.csv (cricsheet)
CRICSHEET_RECORDS: tuple[str, ...] = (CRICSHEET_MATCH, CRICSHEET_PERSON)
RECORDS: tuple[str, ...] = (CAREER, INNINGS, PLAYER_CAREER, PROFILE, *CRICSHEET_RECORDS)
TABLE_RECORDS: tuple[str, ...] = (CAREER, INNINGS, PLAYER_CAREER)
PLAYER_PAGE_CAPTIONS: tuple[str, ...] = ("Career averages", "Career summary")

# Cricsheet (cricsheet.org/downloads): the archives the `cricsheet` spider may fetch, `{name}_json.zip` each,
# and the weekly deltas `recently_added_{N}_json.zip`; the data versions its parser knows.
CRICSHEET_ARCHIVES: tuple[str, ...] = (
    "tests",
    "odis",
    "t20s",
    "tests_male",
    "tests_female",
    "odis_male",
    "odis_female",
    "t20s_male",
    "t20s_female",
    "all",
)
CRICSHEET_DEFAULT_ARCHIVES: tuple[str, ...] = ("tests", "odis", "t20s")
CRICSHEET_RECENT_DAYS: tuple[int, ...] = (2, 7, 30)
CRICSHEET_DATA_VERSIONS: tuple[str, ...] = ("1.0.0", "1.1.0")
# Cricsheet's match_type (with its gender) -> the curated `format`; "T20" is a T20I only between
# international sides (`team_type` "international"); IT20 is how Cricsheet names other T20 internationals.
FORMAT_BY_CRICSHEET: dict[tuple[str, str], str] = {
    ("Test", "male"): "test",
    ("ODI", "male"): "odi",
    ("T20", "male"): "t20i",
    ("IT20", "male"): "t20i",
    ("Test", "female"): "wtest",
    ("ODI", "female"): "wodi",
    ("T20", "female"): "wt20i",
    ("IT20", "female"): "wt20i",
}

# Where a row of an innings table comes from (its `source` column): Statsguru's results lists, or computed from
# Cricsheet's deliveries. Both sources' innings share the tables; Statsguru's row is the one career figures use.
SOURCE_STATSGURU = "statsguru"
SOURCE_CRICSHEET = "cricsheet"
INNINGS_SOURCES: tuple[str, ...] = (SOURCE_STATSGURU, SOURCE_CRICSHEET)

PROFILE_SOURCES: tuple[str, ...] = ("next_data", "athlete_json", "rendered")
RENDER_MODES: tuple[str, ...] = ("auto", "always", "never")

# Participation of a player in an innings row: what the counting cell says when there are no figures.
PLAYED_BY_TYPE: dict[str, str] = {"batting": "batted", "bowling": "bowled", "fielding": "fielded"}
MARKERS: dict[str, str] = {"DNB": "dnb", "TDNB": "tdnb", "absent": "absent", "sub": "sub"}
PARTICIPATION: tuple[str, ...] = (*PLAYED_BY_TYPE.values(), *MARKERS.values())

# Exit codes. cricket-scrape: 0 finished (manifest written), 1 any other failure, 2 blocked, 3 layout drift.
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BLOCKED = 2
EXIT_DRIFT = 3
# cricket-transform: 0 published, 1 error, 4 rejects over --max-reject-ratio, 5 the run would shrink the
# published tables beyond --max-row-drop or has no rows at all (4 and 5: nothing published).
EXIT_TOO_MANY_REJECTS = 4
EXIT_SHRINK = 5
