"""Write-time aggregates for the digest, and a snapshot that reads top posts, never every post of the week."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from digests_support import WEEK, body

TUE = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def _week(community_id, week=WEEK):
    from cerchia.store import digests as digest_store
    from cerchia.store import get_store

    return digest_store.week_activities(get_store(), community_id, [week])[week]


def test_replies_and_reactions_add_to_their_posts_points_on_the_week_it_was_written(community, ingest):
    from cerchia.domain import rules
    from cerchia.store import get_store

    events = [
        body("post_created", TUE, post_id="p_1", author_id="u_a", title="Biga o poolish?", url="https://f.example/1"),
        body("reply_created", TUE + timedelta(hours=2), reply_id="r_1", post_id="p_1", author_id="u_b"),
        body("reply_created", TUE + timedelta(hours=3), reply_id="r_2", post_id="p_1", author_id="u_b"),
        body("reply_created", TUE + timedelta(hours=4), reply_id="r_3", post_id="p_1", author_id="u_a"),
        body("reaction_added", TUE + timedelta(hours=5), post_id="p_1", member_id="u_c"),
        body("reaction_added", TUE + timedelta(hours=5), post_id="p_1", member_id="u_c"),  # the same reaction again
        body("reply_created", datetime(2026, 12, 1, 9, 0, tzinfo=UTC), reply_id="r_4", post_id="p_1", author_id="u_c"),
    ]
    for event in events:
        assert ingest(community, event)["statusCode"] == 202

    week, next_week = _week(community.community_id), _week(community.community_id, "2026-W49")
    post = get_store().get_post(community.community_id, "p_1")

    assert week.post_points == {"p_1": rules.engagement(post)} == {"p_1": 4 * 2 + 3 * 3 + 1}
    assert week.post_created == {"p_1": int(TUE.timestamp())}
    assert week.first_replies == {"p_1": 7200}  # the author's own reply is not an answer
    assert week.posters == {"u_a"} and week.replies == 3
    assert next_week.replies == 1 and next_week.post_points == {}


def test_a_reply_that_came_before_its_post_is_counted_when_the_post_arrives(community, ingest):
    events = [
        body("reply_created", TUE + timedelta(minutes=30), reply_id="r_9", post_id="p_9", author_id="u_b"),
        body("post_created", TUE, post_id="p_9", author_id="u_a", title="Lievito in frigo", url="https://f.example/9"),
    ]
    for event in events:
        assert ingest(community, event)["statusCode"] == 202

    week = _week(community.community_id)

    assert week.post_points == {"p_9": 2 + 3}
    assert week.first_replies == {"p_9": 1800}


def _seed_week(community_id, posts):
    """`posts` posts of the week written directly (batch writes), with their week aggregates."""
    from cerchia.store import get_store, keys
    from cerchia.store.codec import to_item

    store = get_store()
    week_item = {**keys.week(community_id, WEEK), "entity": "week", "week": WEEK, "posts": posts}
    requests = []
    for number in range(posts):
        created = TUE + timedelta(minutes=number)
        post_id = f"p_{number:04d}"
        replies = number % 7
        requests.append(
            {
                "PutRequest": {
                    "Item": to_item(
                        {
                            **keys.post(community_id, post_id),
                            "entity": "post",
                            "community_id": community_id,
                            "post_id": post_id,
                            "author_id": "u_a",
                            "title": f"Post {number}",
                            "url": f"https://f.example/{number}",
                            "created_at": keys.iso(created),
                            "reply_count": replies,
                            "repliers": {f"u_{r}" for r in range(replies)} or None,
                            "placeholder": False,
                            **({"first_reply_at": keys.iso(created + timedelta(hours=1))} if replies else {}),
                        }
                    )
                }
            }
        )
        week_item[keys.week_post_created(post_id)] = int(created.timestamp())
        if replies:
            week_item[keys.week_post_points(post_id)] = replies * 5
            week_item[keys.week_post_first_reply(post_id)] = 3600
    requests.append({"PutRequest": {"Item": to_item(week_item)}})
    for start in range(0, len(requests), 25):
        store._call("batch_write_item", RequestItems={store.table_name: requests[start : start + 25]})


def _posts_read_while_building(community_id, monkeypatch):
    from cerchia import digests
    from cerchia.store import get_store, keys

    store = get_store()
    read = []
    real_call = store._call

    def counting(operation, **request):
        if operation == "batch_get_item":
            for ask in request["RequestItems"].values():
                read.extend(key["sk"]["S"] for key in ask["Keys"] if key["sk"]["S"].startswith("P#"))
        if operation in ("query", "scan") and keys.timeline_posts(community_id) in str(request):
            read.append("timeline query")
        return real_call(operation, **request)

    monkeypatch.setattr(store, "_call", counting)
    community = store.get_community(community_id)
    snapshot = digests.build_snapshot(store, community, WEEK, datetime(2026, 11, 29, 23, 0, tzinfo=UTC))
    return snapshot, read


def test_the_snapshot_reads_top_posts_and_a_few_waiting_ones_never_every_post(community, monkeypatch):
    from cerchia.domain import digests as rules

    _seed_week(community.community_id, 300)

    snapshot, read = _posts_read_while_building(community.community_id, monkeypatch)

    bound = rules.TOP_POST_CANDIDATES + 2 * rules.UNANSWERED_KEPT
    assert len(read) <= bound and "timeline query" not in read
    assert [post.replies for post in snapshot.top_posts] == [6] * rules.TOP_POSTS_KEPT
    # the latest six-reply posts win: equal engagement, more recent (recency)
    assert snapshot.top_posts[0].post_id == "p_0293"
    assert [post.post_id for post in snapshot.unanswered][:2] == ["p_0000", "p_0007"]
    assert snapshot.numbers.posts == 300
