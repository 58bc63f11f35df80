"""A week in Lievito & Co. (Europe/Rome), then Monday: digests at 09:00 local, one each, never noise."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from digests_support import MONDAY_AFTER, WEEK, body, html, of_kind, sent_at, set_member, start_sweeper, text, to

MON = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # 09:00 in Rome


@pytest.fixture
def sweeper(aws, clock, monkeypatch):
    return start_sweeper(clock, monkeypatch)


def members_joined(ingest, clock, community, people):
    for offset, (member_id, email, name, extra) in enumerate(people):
        clock.current = MON + timedelta(minutes=10 + offset)
        answer = ingest(
            community,
            body("member_joined", clock.now(), member_id=member_id, email=email, name=name, **extra),
        )
        assert answer["statusCode"] == 202, answer


@pytest.fixture
def busy_week(community, ingest, clock):
    """Members join; three posts, replies and a reaction during week 2026-W48 (Rome)."""
    members_joined(
        ingest,
        clock,
        community,
        [
            ("u_giulia", "giulia.rossi@example.com", "Giulia Rossi", {"locale": "it", "timezone": "Europe/Rome"}),
            ("u_luca", "luca.ferri@example.com", "Luca Ferri", {"locale": "it"}),
            ("u_sara", "sara.conti@example.com", "Sara Conti", {"locale": "en"}),
            ("u_ava", "ava.brooks@example.com", "Ava Brooks", {"locale": "en", "timezone": "America/New_York"}),
            ("u_off", "paolo.greco@example.com", "Paolo Greco", {"locale": "it"}),
            ("u_gone", "anna.moretti@example.com", "Anna Moretti", {"locale": "it"}),
            ("u_unsub", "elena.neri@example.com", "Elena Neri", {"locale": "it"}),
            ("u_7", "marco.bianchi@example.com", "Marco Bianchi", {"locale": "it", "role": "leader"}),
        ],
    )
    tue = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    events = [
        body(
            "post_created",
            tue,
            post_id="p_1",
            author_id="u_giulia",
            title="Come conservate il lievito madre d'estate?",
            url="https://forum.example.com/t/1",
        ),
        body("reply_created", tue + timedelta(hours=2), reply_id="r_1", post_id="p_1", author_id="u_luca"),
        body("reply_created", tue + timedelta(hours=3), reply_id="r_2", post_id="p_1", author_id="u_sara"),
        body("reaction_added", tue + timedelta(hours=4), post_id="p_1", member_id="u_ava"),
        body(
            "post_created",
            tue + timedelta(days=1),
            post_id="p_2",
            author_id="u_luca",
            title="Pane di farro: la mia ricetta",
            url="https://forum.example.com/t/2",
        ),
        body("reply_created", tue + timedelta(days=1, hours=5), reply_id="r_3", post_id="p_2", author_id="u_giulia"),
        body(
            "post_created",
            datetime(2026, 11, 28, 17, 0, tzinfo=UTC),
            post_id="p_3",
            author_id="u_sara",
            title="Which oven thermometer do you trust?",
            url="https://forum.example.com/t/3",
        ),
        body("member_left", datetime(2026, 11, 27, 12, 0, tzinfo=UTC), member_id="u_gone"),
    ]
    for event in events:
        clock.current = datetime.fromisoformat(event["timestamp"].replace("Z", "+00:00"))
        assert ingest(community, event)["statusCode"] == 202
    set_member(community.community_id, "u_off", digest="off")
    set_member(community.community_id, "u_unsub", unsubscribed=True)
    clock.current = datetime(2026, 11, 29, 20, 0, tzinfo=UTC)
    return community


def test_each_member_gets_one_digest_at_nine_in_their_zone_and_the_leader_one_report(busy_week, sweeper, outbox):
    """Digest off, left and unsubscribed members get none; redelivered chunks and later sweeps add nothing."""
    from cerchia import jobs
    from cerchia.store import get_store

    sweeper.until(MONDAY_AFTER + timedelta(hours=7, minutes=59))  # Monday 08:59 in Rome
    assert of_kind(outbox, "digest") == [] and of_kind(outbox, "leader-digest") == []

    sweeper.until(MONDAY_AFTER + timedelta(hours=9))
    jobs.enqueue("digest", busy_week.community_id, WEEK, WEEK, ["u_giulia", "u_luca", "u_sara"], {"week": WEEK})
    jobs.enqueue("leader-digest", busy_week.community_id, WEEK, WEEK, ["founder"], {"week": WEEK})
    sweeper.drain()  # Rome's chunks again, as a redelivery would bring them
    sweeper.until(MONDAY_AFTER + timedelta(hours=23))  # the end of Monday in Rome

    digests = {to(mail): mail for mail in of_kind(outbox, "digest")}
    assert len(of_kind(outbox, "digest")) == len(digests) == 4
    assert sorted(digests) == [
        "ava.brooks@example.com",
        "giulia.rossi@example.com",
        "luca.ferri@example.com",
        "sara.conti@example.com",
    ]
    rome = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # Monday 09:00 in Rome
    assert {sent_at(digests[a]) for a in digests if a != "ava.brooks@example.com"} == {rome}
    assert sent_at(digests["ava.brooks@example.com"]) == datetime(2026, 11, 30, 14, 0, tzinfo=UTC)  # 09:00 New York
    [report] = of_kind(outbox, "leader-digest")
    assert to(report) == "marco.bianchi@example.com" and sent_at(report) == rome
    assert sweeper.failures == []
    next_round = get_store().get_job("digest-week", busy_week.community_id)
    assert next_round is not None and next_round.due == datetime(2026, 12, 6, 23, 0, tzinfo=UTC)  # Monday 00:00 Rome


def test_the_digest_names_the_weeks_posts_leaving_out_the_readers_own(busy_week, sweeper, outbox):
    sweeper.until(MONDAY_AFTER + timedelta(hours=9))
    digests = {to(mail): mail for mail in of_kind(outbox, "digest")}

    giulia, sara = digests["giulia.rossi@example.com"], digests["sara.conti@example.com"]
    assert giulia["Subject"] == "Lievito & Co. questa settimana: «Pane di farro…» e non solo"
    assert "Come conservate il lievito madre" not in html(giulia)  # her own post
    assert "Which oven thermometer do you trust?" in html(giulia)  # a question waiting for her
    assert "I tuoi post hanno ricevuto 2 risposte." in text(giulia)
    assert "23–29 novembre" in text(giulia)
    assert sara["Subject"] == "Lievito & Co. this week: “Come conservate il…” and more"
    assert "https://forum.example.com/t/1" in html(sara) and "https://forum.example.com/t/2" in html(sara)
    assert "Which oven thermometer" not in html(sara)  # her own question is not "waiting for you"
    assert sara["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "<svg" not in html(sara) and "<script" not in html(sara)


def test_the_leader_report_shows_health_with_change_and_eight_week_bars(busy_week, ingest, clock, sweeper, outbox):
    week_before = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)  # a question answered only after 30 hours
    for event in [
        body(
            "post_created",
            week_before,
            post_id="p_0",
            author_id="u_luca",
            title="Forno a legna?",
            url="https://f.example/0",
        ),
        body("reply_created", week_before + timedelta(hours=30), reply_id="r_0", post_id="p_0", author_id="u_sara"),
    ]:
        assert ingest(busy_week, event)["statusCode"] == 202
    sweeper.until(MONDAY_AFTER + timedelta(hours=9))

    [report] = of_kind(outbox, "leader-digest")
    body_html, body_text = html(report), text(report)
    assert report["Subject"] == "Resoconto di Lievito & Co.: 23–29 novembre"
    assert "Post con risposta entro 24 h" in body_text
    assert "67% (2 su 3)" in body_text  # p_1 and p_2 answered within the day; p_3 waited over 24 h
    assert "Tempo mediano per la prima risposta: 3 h 30 min" in body_text  # 2 h and 5 h
    assert "Membri attivi (hanno scritto, risposto o votato): 3 su 7 (43%)" in body_text  # a reaction is not a post
    assert "Persone appena arrivate che hanno scritto il primo post: 3 su 8" in body_text
    assert "Which oven thermometer do you trust?" in body_html  # still waiting
    assert "+67 punti rispetto alla settimana scorsa" in body_text
    assert "Ultime 8 settimane: — · — · — · — · — · — · 0% · 67%" in body_text
    assert "−1 giorno 2 h rispetto alla settimana scorsa" in body_text  # 30 h, then 3 h 30 min: faster
    # one bar per week with a value: answered, median, active, newcomers, unsubscribes-bounces-suppressed
    assert body_html.count('title="') == 2 + 2 + 1 + 1 + 2
    assert "<svg" not in body_html and "<script" not in body_html


def test_a_community_with_no_activity_sends_nothing(english_community, community, sweeper, outbox):
    sweeper.until(MONDAY_AFTER + timedelta(days=1, hours=12))  # past Monday 09:00 in Los Angeles too

    assert of_kind(outbox, "digest") == [] and of_kind(outbox, "leader-digest") == []


def test_a_member_with_nothing_to_show_gets_no_digest(community, ingest, clock, sweeper, outbox):
    members_joined(
        ingest,
        clock,
        community,
        [
            ("u_a", "alba@example.com", "Alba", {"locale": "it"}),
            ("u_b", "bruno@example.com", "Bruno", {"locale": "it"}),
        ],
    )
    # joins belong to the week before: this week, Alba's lone post is the only thing that happened
    set_member(community.community_id, "u_a", joined_at="2026-11-16T10:00:00.000000Z", membership_started_at=None)
    set_member(community.community_id, "u_b", joined_at="2026-11-16T10:00:00.000000Z", membership_started_at=None)
    from cerchia.store import get_store, keys

    for shard in range(keys.WEEK_SHARDS):
        get_store().call(
            "delete_item",
            TableName=get_store().table_name,
            Key={k: {"S": v} for k, v in keys.week_shard(community.community_id, WEEK, shard).items()},
        )
    clock.current = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    ingest(
        community,
        body(
            "post_created",
            clock.now(),
            post_id="p_9",
            author_id="u_a",
            title="Qualcuno a Torino?",
            url="https://f.example/9",
        ),
    )

    sweeper.until(MONDAY_AFTER + timedelta(hours=9))

    assert [to(mail) for mail in of_kind(outbox, "digest")] == ["bruno@example.com"]  # Alba's post waits for him


def test_after_an_outage_a_digest_more_than_a_day_late_is_dropped_and_next_week_stays_on_time(
    busy_week, sweeper, outbox
):
    from cerchia.store import get_store

    sweeper.clock.current = MONDAY_AFTER + timedelta(days=1, hours=15)  # the sweeps were down until Tuesday 16:00 Rome
    sweeper.once()  # the round runs late and schedules Monday's sends, already past
    sweeper.once()  # those sends find they are more than a day late

    assert of_kind(outbox, "digest") == [] and of_kind(outbox, "leader-digest") == []
    next_round = get_store().get_job("digest-week", busy_week.community_id)
    assert next_round is not None and next_round.due == datetime(2026, 12, 6, 23, 0, tzinfo=UTC)
