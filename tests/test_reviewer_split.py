"""Reviewer split wording: who ships one tool and skips the other, or full agreement."""

from __future__ import annotations

from versus.reviewer_split import ReviewerCalls, join_names, summarize_split

TOOLS = ["Ollama", "llama.cpp"]


def panel(*calls: tuple[str, str, str]) -> list[ReviewerCalls]:
    return [ReviewerCalls(name, (first, second)) for name, first, second in calls]


def test_agreement_on_both_tools():
    summary = summarize_split(
        TOOLS,
        panel(("A", "ship", "ship"), ("B", "ship", "ship"), ("C", "ship", "ship")),
    )

    assert summary.agreed is True
    assert summary.headline == "The panel agrees: all three reviewers ship both tools."
    assert summary.tool_lines == []
    assert summary.reviewer_lines == []


def test_agreement_to_skip_both():
    summary = summarize_split(
        TOOLS, panel(("A", "skip", "skip"), ("B", "skip", "skip"))
    )

    assert summary.headline == "The panel agrees: both reviewers skip both tools."


def test_unanimous_but_tools_differ():
    summary = summarize_split(
        TOOLS,
        panel(("A", "ship", "skip"), ("B", "ship", "skip"), ("C", "ship", "skip")),
    )

    assert summary.agreed is True
    assert summary.headline == (
        "The panel agrees: all three reviewers ship Ollama but skip llama.cpp."
    )
    assert summary.reviewer_lines == []


def test_single_reviewer_split_between_tools():
    summary = summarize_split(TOOLS, panel(("The Builder", "skip", "ship")))

    assert summary.headline == (
        "The panel agrees: the only reviewer ships llama.cpp but skips Ollama."
    )


def test_divided_panel_names_each_side():
    summary = summarize_split(
        TOOLS,
        panel(
            ("The Builder", "ship", "ship"),
            ("The Skeptic", "skip", "ship"),
            ("The Futurist", "ship", "ship"),
            ("The Buyer", "ship", "skip"),
        ),
    )

    assert summary.agreed is False
    assert summary.headline == "The panel is divided on Ollama and llama.cpp."
    assert summary.tool_lines == [
        "Ollama: The Builder, The Futurist and The Buyer ship it, "
        "but The Skeptic skips it.",
        "llama.cpp: The Builder, The Skeptic and The Futurist ship it, "
        "but The Buyer skips it.",
    ]
    assert summary.reviewer_lines == [
        "The Skeptic ships llama.cpp but skips Ollama.",
        "The Buyer ships Ollama but skips llama.cpp.",
    ]


def test_divided_on_one_tool_only():
    summary = summarize_split(
        TOOLS,
        panel(("A", "ship", "ship"), ("B", "ship", "skip"), ("C", "ship", "skip")),
    )

    assert summary.headline == "The panel is divided on llama.cpp."
    assert summary.tool_lines[0] == "Ollama: all three reviewers ship it."
    assert summary.tool_lines[1] == "llama.cpp: A ships it, but B and C skip it."
    assert summary.reviewer_lines == [
        "B ships Ollama but skips llama.cpp.",
        "C ships Ollama but skips llama.cpp.",
    ]


def test_reviewers_disagree_without_splitting_tools():
    summary = summarize_split(
        TOOLS, panel(("A", "ship", "ship"), ("B", "skip", "skip"))
    )

    assert summary.agreed is False
    assert summary.tool_lines == [
        "Ollama: A ships it, but B skips it.",
        "llama.cpp: A ships it, but B skips it.",
    ]
    assert summary.reviewer_lines == []


def test_no_reviewers():
    summary = summarize_split(TOOLS, [])

    assert summary.headline == "No reviewer has given a verdict yet."


def test_join_names():
    assert join_names([]) == ""
    assert join_names(["A"]) == "A"
    assert join_names(["A", "B"]) == "A and B"
    assert join_names(["A", "B", "C"]) == "A, B and C"
