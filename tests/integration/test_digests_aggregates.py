"""Write-time aggregates for the digest, and a snapshot that reads top posts, never every post of the week."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from digests_support import WEEK, body

TUE = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def _week(community_id, week=WEEK):
    from cerchia.store import digests as digest_store
    from cerchia.store import get_store

    return digest_store.week_activities(get_store(), community_id, [week])[week]


def _top(community_id, week=WEEK):
    from cerchia.store import digests as digest_store
    from cerchia.store import get_store

    return digest_store.top_post_candidates(get_store(), community_id, week)


def _waiting(community_id, week=WEEK):
    from cerchia.domain import digests as d
    from cerchia.store import digests as digest_store
    from cerchia.store import get_store

    start, end = d.week_bounds(week, "Europe/Rome")
    return digest_store.waiting_post_candidates(get_store(), community_id, start, end, 16)


def test_replies_and_reactions_add_to_their_posts_points_on_the_week_it_was_written(community, ingest):
    from cerchia.domain import rules
    from cerchia.store import get_store

    events = [
        body("post_created", TUE, post_id="p_1", author_id="u_a", title="Biga o poolish?", url="https://f.example/1"),
        body("post_created", TUE, post_id="p_2", author_id="u_a", title="Farina 0", url="https://f.example/2"),
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
    stored = get_store().get(keys_post(community.community_id, "p_1"))

    assert (
        stored["points"] == rules.engagement(post.reply_count, len(post.repliers), post.reactions) == 4 * 2 + 3 * 3 + 1
    )
    assert _top(community.community_id) == ["p_1"] and _top(community.community_id, "2026-W49") == []
    assert _waiting(community.community_id) == ["p_2"]  # p_1 was answered, p_2 waits
    assert (week.posts, week.answered, week.median_first_reply_seconds) == (2, 1, 7200)  # own reply is no answer
    assert week.first_reply_buckets == {7200: 1}
    assert week.posters == {"u_a"} and week.replies == 3 and week.active_members == {"u_a", "u_b"}
    assert next_week.replies == 1 and next_week.posts == 0 and next_week.active_members == {"u_c"}


def keys_post(community_id, post_id):
    from cerchia.store import keys

    return keys.post(community_id, post_id)


def test_a_reply_that_came_before_its_post_is_counted_when_the_post_arrives(community, ingest):
    from cerchia.store import get_store

    events = [
        body("reply_created", TUE + timedelta(minutes=30), reply_id="r_9", post_id="p_9", author_id="u_b"),
        body("post_created", TUE, post_id="p_9", author_id="u_a", title="Lievito in frigo", url="https://f.example/9"),
    ]
    for event in events:
        assert ingest(community, event)["statusCode"] == 202

    week = _week(community.community_id)

    assert get_store().get(keys_post(community.community_id, "p_9"))["points"] == 2 + 3
    assert _top(community.community_id) == ["p_9"] and _waiting(community.community_id) == []
    assert (week.answered, week.median_first_reply_seconds) == (1, 1800)


def _seed_week(community_id, posts):
    """`posts` posts of the week written directly (batch writes), with the aggregates ingest keeps."""
    from cerchia.domain import digests as d
    from cerchia.store import get_store, keys
    from cerchia.store.codec import to_item

    store = get_store()
    shard = {**keys.week_shard(community_id, WEEK, 0), "entity": "week", "week": WEEK, "posts": posts}
    exact = {**keys.first_reply_bucket(community_id, WEEK, 3600), "entity": "first-replies", "bucket": 3600}
    requests = []
    for number in range(posts):
        created = TUE + timedelta(minutes=number)
        post_id = f"p_{number:04d}"
        replies = number % 7
        timeline_at = keys.timeline_at(created, post_id)
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
                            "timeline_pk": keys.timeline_posts(community_id),
                            "timeline_at": timeline_at,
                            "top_pk": keys.top_posts(community_id, WEEK),
                            **(
                                {"first_reply_at": keys.iso(created + timedelta(hours=1)), "points": replies * 5}
                                if replies
                                else {"due_pk": keys.waiting_posts(community_id), "due_at": timeline_at}
                            ),
                        }
                    )
                }
            }
        )
        if replies:
            shard["answered"] = shard.get("answered", 0) + 1
            shard[f"{keys.FIRST_REPLY_BUCKET}{d.first_reply_bucket(3600)}"] = shard["answered"]
            exact[f"{keys.FIRST_REPLY_SECONDS}3600"] = shard["answered"]
    requests += [{"PutRequest": {"Item": to_item(shard)}}, {"PutRequest": {"Item": to_item(exact)}}]
    for start in range(0, len(requests), 25):
        store.call("batch_write_item", RequestItems={store.table_name: requests[start : start + 25]})


class PostReads:
    """A DynamoDB client that notes every post a request asks for or an index query returns."""

    def __init__(self, client, community_id):
        self.client, self.community_id, self.read = client, community_id, []

    def __getattr__(self, name):
        return getattr(self.client, name)

    def batch_get_item(self, **request):
        for ask in request["RequestItems"].values():
            self.read.extend(key["sk"]["S"] for key in ask["Keys"] if key["sk"]["S"].startswith("P#"))
        return self.client.batch_get_item(**request)

    def scan(self, **request):
        self.read.append("scan")
        return self.client.scan(**request)

    def query(self, **request):
        from cerchia.store import keys

        if keys.timeline_posts(self.community_id) in str(request):
            self.read.append("timeline query")
        answer = self.client.query(**request)
        # posts an index query returns count as read too
        self.read.extend(item["sk"]["S"] for item in answer.get("Items", []) if item["sk"]["S"].startswith("P#"))
        return answer


def _posts_read_while_building(community_id):
    from cerchia.digests.rounds import build_snapshot
    from cerchia.store import Store, get_store

    client = PostReads(get_store().client, community_id)
    store = Store(client, get_store().table_name)  # the public seam: a Store takes its client
    community = store.get_community(community_id)
    snapshot = build_snapshot(store, community, WEEK, datetime(2026, 11, 29, 23, 0, tzinfo=UTC))
    return snapshot, client.read


def test_the_snapshot_reads_top_posts_and_a_few_waiting_ones_never_every_post(community):
    from cerchia.domain import digests as rules

    _seed_week(community.community_id, 300)

    snapshot, read = _posts_read_while_building(community.community_id)

    # index entries, then the posts; and the oldest waiting post's index entry (how long it has waited)
    bound = 2 * (rules.TOP_POST_CANDIDATES + 2 * rules.UNANSWERED_KEPT) + 1
    assert 0 < len(read) <= bound and "timeline query" not in read and "scan" not in read
    assert [post.replies for post in snapshot.top_posts] == [6] * rules.TOP_POSTS_KEPT
    # the latest six-reply posts win: equal engagement, more recent (recency)
    assert snapshot.top_posts[0].post_id == "p_0293"
    assert [post.post_id for post in snapshot.unanswered][:2] == ["p_0000", "p_0007"]
    assert snapshot.numbers.posts == 300
    answered = sum(1 for number in range(300) if number % 7)
    health = snapshot.health[-1]
    assert (health.posts, health.decided, health.answered_in_time) == (300, 300, answered)
    assert health.median_first_reply_seconds == 3600
