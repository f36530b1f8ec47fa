"""Invariants over random sequences of votes, voids, resets, restores and closes.

After every step: each tool's counter equals its counted vote rows, no visitor has
two counted votes on the comparison, each outcome matches a plain Python model of
the rules, and a visitor holds a Redis claim exactly while they have a counted vote.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select, update

from versus.extensions import db
from versus.guard_setup import current_guard
from versus.models import Comparison, ModerationAction, Tool, Vote
from versus.voting.guard import KeyScheme
from versus.voting.moderation import actions
from versus.voting.moderation.errors import Conflict
from versus.voting.moderation.inputs import Reasons, VoteFilter
from versus.voting.service import Outcome

from .moderation_support import START, cast, counted_rows, counters, fake_hash

VISITORS = [f"visitor-{i}" for i in range(5)]
ADDRESSES = [f"address-{i}" for i in range(3)]
TOOLS = ["smolvlm2", "sam-3"]
REASONS = Reasons("Invariant test")

vote = st.tuples(
    st.just("vote"),
    st.sampled_from(VISITORS),
    st.sampled_from(TOOLS),
    st.sampled_from(ADDRESSES),
    st.integers(0, 5),
)
void_visitor = st.tuples(st.just("void-visitor"), st.sampled_from(VISITORS))
void_address = st.tuples(st.just("void-address"), st.sampled_from(ADDRESSES))
void_window = st.tuples(st.just("void-window"), st.integers(0, 5), st.integers(1, 3))
restore = st.tuples(st.just("restore"), st.integers(0, 20))
reset = st.just(("reset",))
close_or_reopen = st.sampled_from([("close",), ("reopen",)])
# Votes are listed three times and restores twice, so most sequences void something
# and then try to restore it.
steps = st.lists(
    st.one_of(
        vote,
        vote,
        vote,
        void_visitor,
        void_address,
        void_window,
        reset,
        restore,
        restore,
        close_or_reopen,
    ),
    min_size=1,
    max_size=30,
)


@dataclass
class ModelVote:
    visitor: str
    tool: str
    address: str
    hour: int
    void_action: int | None = None


@dataclass
class Model:
    votes: list[ModelVote] = field(default_factory=list)
    open: bool = True
    voiding_actions: list[int] = field(default_factory=list)

    def counted(self, visitor: str) -> ModelVote | None:
        return next(
            (v for v in self.votes if v.visitor == visitor and v.void_action is None),
            None,
        )


def fresh_state(app, redis_server) -> int:
    redis_server.client().flushall()
    with app.app_context():
        db.session.execute(delete(Vote))
        db.session.execute(delete(ModerationAction))
        db.session.execute(update(Tool).values(votes=0))
        db.session.execute(update(Comparison).values(voting_open=True))
        db.session.commit()
        return db.session.scalar(select(Comparison.id))


def void(app, comparison_id, model: Model, matches, vote_filter: VoteFilter | None):
    expected = [v for v in model.votes if v.void_action is None and matches(v)]

    with app.app_context():
        try:
            if vote_filter is None:
                result = actions.reset_votes(
                    db.session, current_guard(), comparison_id, REASONS, "model"
                )
            else:
                result = actions.void_votes(
                    db.session,
                    current_guard(),
                    comparison_id,
                    vote_filter,
                    REASONS,
                    "m",
                )
        except Conflict:
            assert expected == []
            return

    assert result.votes_changed == len(expected)
    for item in expected:
        item.void_action = result.entry_id
    model.voiding_actions.append(result.entry_id)


def restore_step(app, comparison_id, model: Model, pick: int) -> None:
    if not model.voiding_actions:
        return

    target = model.voiding_actions[pick % len(model.voiding_actions)]
    restorable = []
    for item in model.votes:
        if item.void_action == target and model.counted(item.visitor) is None:
            restorable.append(item)

    with app.app_context():
        try:
            result = actions.restore_action(
                db.session, current_guard(), comparison_id, target, REASONS, "model"
            )
        except Conflict:
            assert restorable == []
            return

    assert result.votes_changed == len(restorable)
    for item in restorable:
        item.void_action = None


def apply(app, comparison_id: int, model: Model, step: tuple) -> None:
    kind = step[0]

    if kind == "vote":
        _, visitor, tool, address, hour = step
        at = START + dt.timedelta(hours=hour)
        outcome = cast(app, visitor, tool, ip=address, at=at)
        # The vote service checks the visitor's claim before whether voting is open;
        # the HTTP endpoint returns 409 for a closed comparison before either check.
        if model.counted(visitor) is not None:
            assert outcome is Outcome.ALREADY_VOTED
        elif not model.open:
            assert outcome is Outcome.CLOSED
        else:
            assert outcome is Outcome.ACCEPTED
            model.votes.append(ModelVote(visitor, tool, address, hour))
    elif kind == "void-visitor":
        vote_filter = VoteFilter(visitor_hash=fake_hash(step[1]))
        void(app, comparison_id, model, lambda v: v.visitor == step[1], vote_filter)
    elif kind == "void-address":
        vote_filter = VoteFilter(ip_hash=fake_hash(step[1]))
        void(app, comparison_id, model, lambda v: v.address == step[1], vote_filter)
    elif kind == "void-window":
        _, first, span = step
        vote_filter = VoteFilter(
            since=START + dt.timedelta(hours=first),
            until=START + dt.timedelta(hours=first + span),
        )

        def in_window(v: ModelVote) -> bool:
            return first <= v.hour < first + span

        void(app, comparison_id, model, in_window, vote_filter)
    elif kind == "reset":
        void(app, comparison_id, model, lambda v: True, None)
    elif kind == "restore":
        restore_step(app, comparison_id, model, step[1])
    else:
        wanted = kind == "reopen"
        with app.app_context():
            try:
                actions.set_voting_open(
                    db.session, comparison_id, wanted, REASONS, "model"
                )
            except Conflict:
                assert model.open == wanted
                return
        model.open = wanted


def check_invariants(app, redis_server, comparison_id: int, model: Model) -> None:
    expected = {tool: 0 for tool in TOOLS}
    for item in model.votes:
        if item.void_action is None:
            expected[item.tool] += 1

    assert counters(app) == counted_rows(app) == expected

    with app.app_context():
        most = db.session.execute(
            select(func.count())
            .where(Vote.voided_at.is_(None))
            .group_by(Vote.visitor_hash)
            .order_by(func.count().desc())
            .limit(1)
        ).scalar()
    assert most in (None, 1)

    keys = KeyScheme(app.config["REDIS_KEY_PREFIX"])
    client = redis_server.client()
    for visitor in VISITORS:
        claim = client.get(keys.visitor(comparison_id, fake_hash(visitor)))
        counted = model.counted(visitor)
        assert claim == (counted.tool.encode() if counted else None), visitor


# Hypothesis reuses one app (and database) per test function; fresh_state() clears
# the votes, the audit log and Redis at the start of every example instead.
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=steps)
@example(
    sequence=[
        ("vote", "visitor-0", "smolvlm2", "address-0", 0),
        ("vote", "visitor-1", "sam-3", "address-1", 1),
        ("reset",),
        ("vote", "visitor-1", "smolvlm2", "address-1", 2),
        ("restore", 0),
        ("void-window", 0, 3),
        ("restore", 1),
        ("restore", 0),
    ]
)
@example(
    sequence=[
        ("vote", "visitor-2", "sam-3", "address-2", 4),
        ("close",),
        ("vote", "visitor-3", "sam-3", "address-2", 4),
        ("void-address", "address-2"),
        ("reopen",),
        ("vote", "visitor-2", "smolvlm2", "address-0", 5),
        ("restore", 0),
    ]
)
def test_random_sequences_keep_counters_and_one_vote(
    app, sample, redis_server, sequence
):
    app.config["VOTES_PER_IP"] = 1000
    comparison_id = fresh_state(app, redis_server)
    model = Model()

    for step in sequence:
        apply(app, comparison_id, model, step)
        check_invariants(app, redis_server, comparison_id, model)


def test_votes_during_reset_and_restore_keep_counters(app, sample):
    """Votes arriving while moderators reset and restore still count exactly once."""
    with app.app_context():
        comparison_id = db.session.scalar(select(Comparison.id))
    for i in range(10):
        cast(app, f"early-{i}", TOOLS[i % 2], ip=f"early-{i}")
    outcomes: list[Outcome] = []
    barrier = threading.Barrier(3)

    def voter(offset: int) -> None:
        barrier.wait()
        for i in range(15):
            visitor = f"late-{(offset + i) % 20}"
            outcomes.append(cast(app, visitor, TOOLS[i % 2], ip=f"late-{offset}-{i}"))

    def moderator() -> None:
        barrier.wait()
        with app.app_context():
            reset = actions.reset_votes(
                db.session, current_guard(), comparison_id, REASONS, "race"
            )
            actions.restore_action(
                db.session, current_guard(), comparison_id, reset.entry_id, REASONS, "r"
            )

    threads = [threading.Thread(target=voter, args=(n * 7,)) for n in range(2)]
    threads.append(threading.Thread(target=moderator))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert counters(app) == counted_rows(app)
    with app.app_context():
        duplicates = db.session.execute(
            select(Vote.visitor_hash)
            .where(Vote.voided_at.is_(None))
            .group_by(Vote.visitor_hash)
            .having(func.count() > 1)
        ).all()
    assert duplicates == []
    assert set(outcomes) <= {Outcome.ACCEPTED, Outcome.ALREADY_VOTED}
    assert sum(counters(app).values()) >= 10
