"""What the moderation pages and commands say about an action's outcome."""

from __future__ import annotations

from ..plurals import count_of
from ..voting.moderation import actions


def skipped_note(skipped: int) -> str:
    """Say how many votes a restore left voided, and why."""
    if skipped == 1:
        return "1 vote stays voided because its visitor has voted again since."

    return (
        f"{count_of(skipped, 'vote')} stay voided because their visitors have "
        "voted again since."
    )


def summary(result: actions.ActionResult) -> str:
    """Return the notice the web page shows after a successful action."""
    changed = ", ".join(f"{t.name} {t.votes}" for t in result.tools if t.votes)
    votes = count_of(result.votes_changed, "vote")
    text = {
        actions.VOID: f"Voided {votes} ({changed}).",
        actions.RESET: f"Reset: voided {votes} ({changed}), so no votes count now.",
        actions.RESTORE: f"Restored {votes} ({changed}).",
        actions.CLOSE: "Voting is closed.",
        actions.REOPEN: "Voting is open again.",
    }[result.action]

    if result.skipped:
        text += " " + skipped_note(result.skipped)
    if not result.guard_synced:
        text += (
            " Redis could not be updated, so the one-vote guard may be out of step "
            "until those visitors vote; the vote counts are correct."
        )

    return f"{text} Audit entry #{result.entry_id}."
