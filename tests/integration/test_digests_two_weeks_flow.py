"""A member on "every two weeks" gets one digest that covers both weeks, through the real delivery."""

from __future__ import annotations

from datetime import timedelta

from digests_support import body


def test_a_biweekly_reader_gets_both_weeks_posts_and_numbers_in_one_digest(
    community, ingest, clock, outbox, monkeypatch
):
    from cerchia import runtime
    from cerchia.digests.delivery import deliver_member_digest
    from cerchia.domain import digest_content as content
    from cerchia.domain import digests as d
    from cerchia.jobs import Delivery
    from cerchia.store import digests as digest_store
    from cerchia.store import get_store

    monkeypatch.setenv("MAX_SEND_RATE", "0")  # no pacing of our own: sending's pacer never waits
    runtime.reset()
    joined = body("member_joined", clock.now(), member_id="u_anna", name="Anna Moretti", email="anna@example.com")
    assert ingest(community, joined)["statusCode"] == 202
    from cerchia.domain.preferences import Choices
    from cerchia.store.preferences import save_choices

    store = get_store()
    anna = store.get_member(community.community_id, "u_anna")
    assert anna is not None
    save_choices(store, anna, Choices(emails=True, digest="biweekly", polls=True, locale="en"), clock.now())

    def post(post_id: str, title: str, replies: int) -> content.PostCard:
        return content.PostCard(
            post_id=post_id, title=title, url=f"https://forum.example.com/t/{post_id}", author_id="u_luca",
            author_name="Luca Ferri", created_at=clock.now(), replies=replies, repliers=replies,
            engagement=replies * 2 + replies * 3,  # rules.engagement: a reply 2, a distinct replier 3
        )  # fmt: skip

    for week, top, numbers in (
        (
            "2026-W49",
            post("p_49", "Il forno a legna di Luca", 6),
            content.Numbers(posts=4, replies=9, joins=1, active=5),
        ),
        ("2026-W50", post("p_50", "Panettone: si parte!", 2), content.Numbers(posts=3, replies=2, joins=0, active=3)),
    ):
        start, end = d.week_bounds(week, "Europe/Rome")
        digest_store.save_snapshot(
            store,
            content.Snapshot(
                community_id=community.community_id, week=week, start=start, end=end, activity=True,
                numbers=numbers, top_posts=[top], built_at=end,
            ),
        )  # fmt: skip
    _, end = d.week_bounds("2026-W50", "Europe/Rome")
    delivery = Delivery("digest", community.community_id, "2026-W50", "2026-W50", ("u_anna",), {"week": "2026-W50"})

    outcome = deliver_member_digest(delivery, "u_anna", end + timedelta(hours=9))

    assert outcome == "sent"
    [mail] = [m for m in outbox() if m["X-Cerchia-Kind"] == "digest"]
    text = mail.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "(30 November – 13 December)" in text
    assert text.index("Il forno a legna di Luca") < text.index("Panettone: si parte!")  # ranked together
    assert "7 new posts · 11 replies · 1 new member\n" in text
    assert "You can have it every week instead, or not at all." in text
