"""The ingest projection's rules, without a table: what an event changes given what was read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cerchia.domain import ingest
from cerchia.domain.events import PlatformEvent, parse_event
from cerchia.domain.ingest import Seen
from cerchia.domain.ingest_effects import (
    AnsweredAfter,
    AnsweredWithin,
    CommunityWeek,
    EarlyReply,
    Expect,
    FirstReplies,
    LeadershipChanged,
    MemberChanged,
    MemberWeek,
    NameChecked,
    PostFacts,
    PostPublished,
    PostReacted,
    PostReplied,
    ReactionKept,
    ReplyKept,
    StoredPost,
)
from cerchia.domain.models import Community, Member
from support import event

ROME = Community(community_id="c_1", name="Lievito & Co.", timezone="Europe/Rome", unanswered_after_hours=24)
POSTED = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)
WEEK = "2026-W48"


def _event(fixture: str, **data: object) -> PlatformEvent:
    parsed = parse_event(event(fixture, **data), received_at=POSTED + timedelta(days=1))
    assert parsed is not None
    return parsed


def test_a_reply_to_a_post_this_environment_knows_is_its_first_answer_under_conditions_that_say_so():
    facts = PostFacts("u_1042", POSTED, url="https://forum.example.com/t/301")

    projected = ingest.project(ROME, _event("reply_created"), Seen(facts=facts))

    assert projected is not None
    kept, replied = projected.changes
    assert kept == ReplyKept("r_9001", "p_301", "u_7", POSTED + timedelta(hours=2, minutes=30))
    assert isinstance(replied, PostReplied) and replied.points == 5  # a reply and a new replier
    assert replied.expect == Expect(exists=True, new_replier="u_7", unanswered=True, not_deleted=True)
    assert replied.first_reply is not None and replied.first_reply.seconds == 9000
    assert projected.tally.counts == {
        CommunityWeek(WEEK): {"replies": 1, "answered": 1, AnsweredWithin(9000): 1},
        MemberWeek(WEEK, "u_7"): {"activity": 1},
        FirstReplies(WEEK, 9000): {AnsweredAfter(9000): 1},
        MemberWeek(WEEK, "u_1042"): {"replies_received": 1},
    }
    assert projected.tally.latest_post == {MemberWeek(WEEK, "u_1042"): "https://forum.example.com/t/301"}
    assert projected.learned == ("p_301", PostFacts("u_1042", POSTED, True, frozenset({"u_7"}), facts.url))


def test_a_second_reply_by_the_same_member_to_an_answered_post_is_worth_two_points_and_no_answer():
    facts = PostFacts("u_1042", POSTED, answered=True, repliers=frozenset({"u_7"}))

    projected = ingest.project(ROME, _event("reply_created"), Seen(facts=facts))

    assert projected is not None
    replied = projected.changes[1]
    assert isinstance(replied, PostReplied)
    assert (replied.points, replied.first_reply, replied.expect) == (2, None, Expect(exists=True))


def test_a_reply_before_its_post_is_kept_as_an_early_reply_and_decides_nothing_yet():
    earlier = EarlyReply("u_8", POSTED)
    seen = Seen(post=StoredPost(placeholder=True, version=3, repliers=frozenset({"u_8"}), early_replies=(earlier,)))

    projected = ingest.project(ROME, _event("reply_created"), seen)

    assert projected is not None and projected.learned is None
    replied = projected.changes[1]
    assert isinstance(replied, PostReplied) and replied.first_reply is None
    assert replied.early_replies == (earlier, EarlyReply("u_7", POSTED + timedelta(hours=2, minutes=30)))
    assert replied.expect == Expect(version=3)


def test_a_post_that_arrives_after_replies_is_answered_from_the_start_by_the_first_other_member():
    own = EarlyReply("u_1042", POSTED + timedelta(minutes=1))
    other = EarlyReply("u_7", POSTED + timedelta(minutes=10))
    seen = Seen(blind=False, post=StoredPost(placeholder=True, version=2, early_replies=(own, other)), author_name="G")

    projected = ingest.project(ROME, _event("post_created"), seen)

    assert projected is not None
    published, checked = projected.changes
    assert isinstance(published, PostPublished) and checked == NameChecked("u_1042", "G")
    assert published.first_reply is not None and published.first_reply.seconds == 600
    assert (published.nudge_at, published.clears_early_replies, published.expect) == (None, True, Expect(version=2))
    assert projected.tally.counts[MemberWeek(WEEK, "u_1042")] == {"posts": 1, "activity": 1, "replies_received": 1}


def test_a_post_nobody_answered_is_due_for_a_nudge_after_the_communitys_delay_unless_deleted():
    waiting = ingest.project(ROME, _event("post_created"), Seen())
    deleted = ingest.project(ROME, _event("post_created"), Seen(False, post=StoredPost(placeholder=True, deleted=True)))

    assert waiting is not None and deleted is not None
    assert isinstance(waiting.changes[0], PostPublished) and isinstance(deleted.changes[0], PostPublished)
    assert waiting.changes[0].nudge_at == POSTED + timedelta(hours=24)
    assert waiting.changes[0].expect == Expect(exists=False)  # blind: a post not seen yet
    assert deleted.changes[0].nudge_at is None and deleted.changes[0].first_reply is None


def test_a_post_already_there_and_a_join_of_an_active_member_change_nothing():
    active = Member(community_id="c_1", member_id="u_1042", status="active")

    assert ingest.project(ROME, _event("post_created"), Seen(False, post=StoredPost())) is None
    assert ingest.project(ROME, _event("member_joined"), Seen(False, member=active)) is None


def test_a_reaction_by_the_posts_own_author_counts_a_reaction_but_nothing_received():
    facts = PostFacts("u_1042", POSTED)

    own = ingest.project(ROME, _event("reaction_added", member_id="u_1042"), Seen(facts=facts))
    other = ingest.project(ROME, _event("reaction_added", member_id="u_7"), Seen(facts=facts))

    assert own is not None and other is not None
    assert isinstance(own.changes[0], ReactionKept) and own.changes[1] == PostReacted("p_301", points=1)
    assert MemberWeek(WEEK, "u_1042") not in own.tally.counts
    assert other.tally.counts[MemberWeek(WEEK, "u_1042")] == {"reactions_received": 1}


def test_a_role_change_moves_the_leader_set_only_when_it_differs():
    leaders = ROME.model_copy(update={"leader_ids": frozenset({"u_1042"})})

    assert ingest.leadership(leaders, "u_1042", "leader") == ()
    assert ingest.leadership(leaders, "u_1042", "member") == (LeadershipChanged("u_1042", "member"),)
    assert ingest.leadership(ROME, "u_7", "leader") == (LeadershipChanged("u_7", "leader"),)


def test_a_blind_update_assumes_a_known_member_and_a_new_name_reaches_their_waiting_posts():
    projected = ingest.project(ROME, _event("member_updated"), Seen())

    assert projected is not None
    (change,) = projected.changes
    assert isinstance(change, MemberChanged) and change.expect == Expect(exists=True)
    assert change.sets == {"name": "Giulia R.", "locale": "en", "updated_at": datetime(2026, 11, 23, 10, tzinfo=UTC)}
    assert projected.renamed == ("u_1042", "Giulia R.")


def test_an_update_of_a_member_never_seen_keeps_them_as_provisional():
    projected = ingest.project(ROME, _event("member_updated"), Seen(blind=False))

    assert projected is not None
    (change,) = projected.changes
    assert isinstance(change, MemberChanged) and change.expect == Expect(exists=False)
    assert change.sets["status"] == "provisional"
