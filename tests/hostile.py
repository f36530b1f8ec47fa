"""A comparison whose every text field carries hostile or awkward content."""

from __future__ import annotations

import tomllib
from pathlib import Path

import tomli_w

from .conftest import SAMPLE

HOSTILE_SLUG = "hostile-vs-content"
SCRIPT = "<script>window.__pwned = 1; alert(1)</script>"
IMAGE = '<img src=x onerror="window.__pwned = 2">'
LINK = "[click me](javascript:window.__pwned=3)"
LONG_WORD = "Supercalifragilistic" * 9
RTL = "\u202eevil\u202c مرحبا بالعالم שלום"
EMOJI = "🧨🔥👩🏽‍💻🏳️‍🌈"


def write_hostile_spec(folder: Path) -> Path:
    """Write the sample comparison with hostile text in every field; return its path."""
    data = tomllib.loads(SAMPLE.read_text())
    data.pop("sample", None)
    data["slug"] = HOSTILE_SLUG
    data["title"] = f"{SCRIPT[:60]} {EMOJI} vs {LONG_WORD[:100]}"
    data["question"] = f"{IMAGE} {RTL} {LONG_WORD}"[:300]
    data["intro"] = f"{SCRIPT} {LINK} {LONG_WORD} {RTL} {EMOJI}"
    data["pricing_note"] = f'{IMAGE} <a href="javascript:alert(1)">x</a> {LONG_WORD}'

    renamed = {}
    for index, tool in enumerate(data["tools"]):
        renamed[tool["slug"]] = f"hostile-{index}"
        tool["slug"] = renamed[tool["slug"]]
        tool["name"] = f"{EMOJI}{LONG_WORD}"[:110] + str(index)
        tool["category"] = f"<b onmouseover=x>{index}</b>"
        tool["tagline"] = f"{RTL} {SCRIPT}"[:300]
        # Prices are checked against a fixed format on import, so none is hostile.
        tool["description"] = f"{LINK} {IMAGE} {LONG_WORD} {RTL}"

    for reviewer in data["reviewers"]:
        reviewer["lens"] = f"{IMAGE}{LONG_WORD}"[:200]
    for verdict in data["verdicts"]:
        verdict["tool"] = renamed[verdict["tool"]]
        verdict["quote"] = f"{SCRIPT} {LINK} {LONG_WORD} {EMOJI} {RTL}"

    path = folder / f"{HOSTILE_SLUG}.toml"
    path.write_text(tomli_w.dumps(data))
    return path
