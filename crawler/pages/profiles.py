"""The rendered profile page: its DOM fields (the readers of every profile source are in cricket_contract.profiles)."""

from __future__ import annotations

from parsel import Selector

from cricket_contract.profiles import clean

# The profile's visible details appear here once the page's script has run; the spider waits for it.
PROFILE_SELECTOR = "#player-profile .player-name"


def rendered_fields(html: str) -> dict[str, str | None] | None:
    """The verbatim profile fields of a rendered page (`#player-profile`), or None when it never rendered."""
    sel = Selector(text=html)
    root = sel.css("#player-profile")
    if not root or not root.css(".player-name"):
        return None
    fields: dict[str, str | None] = {
        "player_id": clean(root.attrib.get("data-player-id")),
        "full_name": clean(" ".join(root.css(".player-name ::text").getall())),
    }
    for dd in root.css("dd[data-field]"):
        name = dd.attrib["data-field"]
        if name == "full_name" and fields["full_name"]:
            continue
        fields[name] = clean(" ".join(dd.css("::text").getall()))
    return fields
