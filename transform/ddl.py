"""Athena DDL for the current curated run: database, one external table per curated table, views for Power BI."""

from __future__ import annotations

from cricket_contract.vocabulary import FORMAT_BY_CLASS, SOURCE_CRICSHEET, SOURCE_STATSGURU
from transform.publish import load_current as current
from transform.schemas import PARTITIONED, TABLES, arrow_to_athena

FORMATS = ",".join(FORMAT_BY_CLASS.values())

# Views in Athena's (Trino) SQL. `cricket-transform query` transpiles them to DuckDB with sqlglot.
VIEWS: dict[str, str] = {
    # One row per player and format with batting, bowling and fielding side by side (Power BI's main table).
    "player_career": """
SELECT
  f.player_id,
  COALESCE(p.name, b.name, w.name, d.name) AS name,
  p.full_name,
  COALESCE(p.country, b.country, w.country, d.country) AS country,
  t.name AS country_name,
  t.nation,
  p.gender,
  p.date_of_birth,
  p.batting_style,
  p.bowling_style,
  p.playing_role,
  f.format,
  GREATEST(COALESCE(b.matches, 0), COALESCE(w.matches, 0), COALESCE(d.matches, 0)) AS matches,
  b.innings AS batting_innings,
  b.not_outs,
  b.runs,
  b.high_score,
  b.high_score_not_out,
  b.average AS batting_average,
  b.strike_rate AS batting_strike_rate,
  b.hundreds,
  b.fifties,
  w.balls AS balls_bowled,
  w.runs_conceded,
  w.wickets,
  w.average AS bowling_average,
  w.economy,
  w.strike_rate AS bowling_strike_rate,
  w.five_wickets,
  d.dismissals,
  d.caught,
  d.stumped
FROM (
  SELECT player_id, format FROM batting_career
  UNION
  SELECT player_id, format FROM bowling_career
  UNION
  SELECT player_id, format FROM fielding_career
) AS f
LEFT JOIN players AS p ON p.player_id = f.player_id
LEFT JOIN batting_career AS b ON b.player_id = f.player_id AND b.format = f.format
LEFT JOIN bowling_career AS w ON w.player_id = f.player_id AND w.format = f.format
LEFT JOIN fielding_career AS d ON d.player_id = f.player_id AND d.format = f.format
LEFT JOIN teams AS t ON t.team_id = COALESCE(p.country, b.country, w.country, d.country)
""",
    # Run-scorer ranking per format (ties broken by player id so the order is stable).
    "batting_rankings": """
SELECT
  format,
  ROW_NUMBER() OVER (PARTITION BY format ORDER BY runs DESC, player_id) AS rank,
  b.player_id,
  b.name,
  b.country,
  t.name AS country_name,
  t.nation,
  b.matches,
  b.innings,
  b.runs,
  b.average,
  b.strike_rate,
  b.hundreds
FROM batting_career AS b
LEFT JOIN teams AS t ON t.team_id = b.country
WHERE b.runs IS NOT NULL
""",
    # Wicket-taker ranking per format.
    "bowling_rankings": """
SELECT
  format,
  ROW_NUMBER() OVER (PARTITION BY format ORDER BY wickets DESC, player_id) AS rank,
  w.player_id,
  w.name,
  w.country,
  t.name AS country_name,
  t.nation,
  w.matches,
  w.wickets,
  w.average,
  w.economy,
  w.strike_rate
FROM bowling_career AS w
LEFT JOIN teams AS t ON t.team_id = w.country
WHERE w.wickets IS NOT NULL
""",
    # Totals per format and country.
    "country_summary": """
SELECT
  b.format,
  b.country,
  t.name AS country_name,
  t.nation,
  COUNT(*) AS players,
  SUM(b.runs) AS runs,
  SUM(b.hundreds) AS hundreds,
  MAX(b.high_score) AS best_score
FROM batting_career AS b
LEFT JOIN teams AS t ON t.team_id = b.country
GROUP BY b.format, b.country, t.name, t.nation
""",
}


def _innings_view(kind: str) -> str:
    """Every column of an innings table (both sources' rows, `source` among them) with the names of the player's
    side and of the opposition."""
    cols = ",\n".join(
        f"  i.{c}" for c in (*TABLES[f"{kind}_innings"].names, "run_id", "scraped_at", "source_url")
    )
    return f"""
SELECT
{cols},
  c.name AS country_name,
  c.nation,
  o.name AS opposition_name,
  o.nation AS opposition_nation
FROM {kind}_innings AS i
LEFT JOIN teams AS c ON c.team_id = i.country
LEFT JOIN teams AS o ON o.team_id = i.opposition
"""


# One per innings table: Power BI shows the sides by name and filters them by nation, men and women alike.
VIEWS.update({f"{kind}_innings_teams": _innings_view(kind) for kind in ("batting", "bowling", "fielding")})


def _preferred_view(kind: str) -> str:
    """One row per (player, match, innings number): Statsguru's where both sources have the innings, else
    Cricsheet's. The table holds both sources' rows, so summing it over both counts a shared innings twice."""
    cols = ", ".join((*TABLES[f"{kind}_innings"].names, "run_id", "scraped_at", "source_url"))
    return f"""
SELECT {cols} FROM {kind}_innings WHERE source = '{SOURCE_STATSGURU}'
UNION ALL
SELECT {cols} FROM {kind}_innings AS c
WHERE c.source = '{SOURCE_CRICSHEET}' AND NOT EXISTS (
  SELECT 1 FROM {kind}_innings AS s
  WHERE s.source = '{SOURCE_STATSGURU}' AND s.player_id = c.player_id AND s.match_id = c.match_id
    AND s.innings_number = c.innings_number
)
"""


# Cricsheet (transform/cricsheet.py): each innings once whatever the sources, and the register joined to players.
VIEWS.update(
    {f"{kind}_innings_preferred": _preferred_view(kind) for kind in ("batting", "bowling", "fielding")}
)
VIEWS["player_identities"] = """
SELECT
  p.player_id,
  p.name,
  p.full_name,
  p.country,
  c.identifier AS cricsheet_id,
  c.name AS cricsheet_name,
  c.unique_name AS cricsheet_unique_name
FROM players AS p
LEFT JOIN people AS c ON c.player_id = p.player_id
"""


def _q(name: str) -> str:
    return f"`{name}`"


def create_table(database: str, table: str, location: str) -> str:
    """CREATE EXTERNAL TABLE for one curated table at `location` (the run's directory, ending in /)."""
    from transform.write import file_schema

    cols = ",\n".join(f"  {_q(f.name)} {arrow_to_athena(f.type)}" for f in file_schema(table))
    location = location if location.endswith("/") else location + "/"
    lines = [f"CREATE EXTERNAL TABLE IF NOT EXISTS {_q(database)}.{_q(table)} (", cols, ")"]
    props = {"parquet.compression": "ZSTD", "classification": "parquet"}
    if table in PARTITIONED:
        lines.append(f"PARTITIONED BY ({_q('format')} string)")
        props.update(
            {
                "projection.enabled": "true",
                "projection.format.type": "enum",
                "projection.format.values": FORMATS,
                "storage.location.template": location + "format=${format}/",
            }
        )
    lines += ["STORED AS PARQUET", f"LOCATION '{location}'", "TBLPROPERTIES ("]
    lines.append(",\n".join(f"  '{k}'='{v}'" for k, v in props.items()))
    lines.append(")")
    return "\n".join(lines) + ";"


def table_properties(table: str, location: str) -> dict[str, str]:
    props = {"parquet.compression": "ZSTD", "classification": "parquet", "EXTERNAL": "TRUE"}
    if table in PARTITIONED:
        props.update(
            {
                "projection.enabled": "true",
                "projection.format.type": "enum",
                "projection.format.values": FORMATS,
                "storage.location.template": location.rstrip("/") + "/format=${format}/",
            }
        )
    return props


def create_view(database: str, name: str) -> str:
    return f'CREATE OR REPLACE VIEW "{database}"."{name}" AS{VIEWS[name].rstrip()};'


def render(curated: str, database: str = "cricket") -> str:
    """The whole DDL script for the run `_current.json` names."""
    cur = current(curated)
    out = [f"-- Athena DDL for curated run {cur['run_id']} (published {cur.get('published_at')})"]
    if not curated.startswith("s3://"):
        out.append(f"-- note: {curated} is not an s3:// location; Athena can only read tables on S3")
    out.append(f"CREATE DATABASE IF NOT EXISTS {_q(database)};")
    for table in TABLES:
        if table in cur["tables"]:  # a run published before a table existed does not have it
            out.append(create_table(database, table, cur["tables"][table]["location"]))
    for name in VIEWS:
        out.append(create_view(database, name))
    return "\n\n".join(out)
