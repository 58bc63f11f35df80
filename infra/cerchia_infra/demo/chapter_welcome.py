"""Monday morning: members join through signed webhooks; the first posts and replies arrive; welcomes go out."""

from __future__ import annotations

from typing import Any

from cerchia_infra.demo import seed


def play(demo: Any) -> None:
    for key, community in demo.communities.items():
        for post in seed.POSTS[key][:1]:
            demo.event(key, "post.created", post)
        for member in demo.members[key]:
            demo.event(key, "member.joined", member)
        # the same join again, as a platform retry under the same webhook-id: nothing changes
        retry = demo.members[key][0]
        demo.event(key, "member.joined", retry, webhook_id=f"demo-retry-{key}")
        demo.event(key, "member.joined", retry, webhook_id=f"demo-retry-{key}")
        first_post = seed.POSTS[key][0]
        replier = next(m for m in demo.members[key] if m["member_id"] != first_post["author_id"])
        demo.event(
            key,
            "reply.created",
            {"reply_id": f"{key}_r1", "post_id": first_post["post_id"], "author_id": replier["member_id"]},
        )
        demo.note(f"{community['name']}: {len(demo.members[key])} members joined; a platform retry was ignored")
    demo.advance(60)
    welcomes = [mail for mail in demo.outbox() if mail["kind"] == "welcome"]
    languages = sorted({"it" if "benvenuto" in mail["subject"] else "en" for mail in welcomes})
    demo.note(f"{len(welcomes)} welcome emails within the minute, in {' and '.join(languages)}")
