"""Put the panel's ship and skip calls into plain sentences for the reviewer split.

The page states who disagrees with whom: a reviewer who ships one tool and skips the
other, and a tool on which the reviewers are divided. When nobody disagrees, it says
that instead. Pure functions over names and calls, so the wording is easy to test.
"""

from __future__ import annotations

from dataclasses import dataclass

NUMBER_WORDS = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight"]


@dataclass(frozen=True)
class ReviewerCalls:
    """One reviewer's calls, in the same order as the comparison's tools."""

    name: str
    calls: tuple[str, ...]


@dataclass(frozen=True)
class SplitSummary:
    """The reviewer split as sentences: a headline, then one line per tool and per
    reviewer who ships one tool but skips another."""

    agreed: bool
    headline: str
    tool_lines: list[str]
    reviewer_lines: list[str]


def join_names(names: list[str]) -> str:
    """Join names as English prose: "A", "A and B", "A, B and C"."""
    if len(names) <= 1:
        return "".join(names)

    return ", ".join(names[:-1]) + " and " + names[-1]


def _everyone(count: int) -> str:
    if count == 1:
        return "the only reviewer"
    if count == 2:
        return "both reviewers"

    number = NUMBER_WORDS[count] if count < len(NUMBER_WORDS) else str(count)
    return f"all {number} reviewers"


def _verb(call: str, subjects: int) -> str:
    """Return "ship"/"skip" conjugated for one subject or several."""
    return f"{call}s" if subjects == 1 else call


def _group_by_call(
    reviewers: list[ReviewerCalls], tool_index: int
) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {"ship": [], "skip": []}

    for reviewer in reviewers:
        groups[reviewer.calls[tool_index]].append(reviewer.name)

    return groups


def _tool_line(tool: str, groups: dict[str, list[str]], panel_size: int) -> str:
    ships, skips = groups["ship"], groups["skip"]

    if not skips:
        return f"{tool}: {_everyone(panel_size)} ship it."
    if not ships:
        return f"{tool}: {_everyone(panel_size)} skip it."

    return (
        f"{tool}: {join_names(ships)} {_verb('ship', len(ships))} it, but "
        f"{join_names(skips)} {_verb('skip', len(skips))} it."
    )


def _split_clause(subject: str, count: int, tools: list[str], calls: tuple[str, ...]):
    """Return "X ships A but skips B", or ``None`` when the calls are all the same."""
    pairs = list(zip(tools, calls, strict=True))
    shipped = [tool for tool, call in pairs if call == "ship"]
    skipped = [tool for tool, call in pairs if call == "skip"]

    if not shipped or not skipped:
        return None

    return (
        f"{subject} {_verb('ship', count)} {join_names(shipped)} "
        f"but {_verb('skip', count)} {join_names(skipped)}"
    )


def _all_tools(tools: list[str]) -> str:
    return "both tools" if len(tools) == 2 else "every tool"


def summarize_split(tools: list[str], reviewers: list[ReviewerCalls]) -> SplitSummary:
    """Describe where the reviewers disagree, between the tools or with each other."""
    if not reviewers:
        return SplitSummary(True, "No reviewer has given a verdict yet.", [], [])

    panel_size = len(reviewers)
    groups = [_group_by_call(reviewers, index) for index in range(len(tools))]
    divided = [
        tool for tool, group in zip(tools, groups, strict=True) if all(group.values())
    ]

    if not divided:
        calls = reviewers[0].calls
        if len(set(calls)) == 1:
            headline = (
                f"The panel agrees: {_everyone(panel_size)} "
                f"{_verb(calls[0], panel_size)} {_all_tools(tools)}."
            )
            return SplitSummary(True, headline, [], [])

        # Unanimous on each tool, but the tools get different calls.
        clause = _split_clause(_everyone(panel_size), panel_size, tools, calls)
        return SplitSummary(True, f"The panel agrees: {clause}.", [], [])

    tool_lines = [
        _tool_line(tool, group, panel_size)
        for tool, group in zip(tools, groups, strict=True)
    ]
    reviewer_lines = [
        f"{clause}."
        for reviewer in reviewers
        if (clause := _split_clause(reviewer.name, 1, tools, reviewer.calls))
    ]
    headline = f"The panel is divided on {join_names(divided)}."
    return SplitSummary(False, headline, tool_lines, reviewer_lines)
