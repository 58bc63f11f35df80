"""Issue 3's promises, tried against `cerchia serve`: the sweep runs every 15 virtual minutes."""

from __future__ import annotations

from datetime import datetime

HOUR = 3600


def daytime_zone(now: datetime) -> str:
    """A fixed-offset zone in which `now` is mid-morning, so no quiet hours fall in the next two days.

    The stack starts at wall time; picking the zone (rather than waiting for a morning) keeps the
    test short whatever the hour it runs at. Etc/GMT-N is UTC+N (POSIX signs are inverted).
    """
    offset = (10 - now.hour) % 24
    if offset > 14:
        offset -= 24
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"


def create(stack, name, leader_email):
    return stack.create_community(name=name, timezone=daytime_zone(stack.now()), locale="en", leader_email=leader_email)


def send(stack, community, event_type, data):
    response = stack.send(community, {"type": event_type, "timestamp": stack.now().isoformat(), "data": data})
    assert response.status_code == 202, response.text


def join(stack, community, member_id, name):
    send(stack, community, "member.joined", {"member_id": member_id, "email": f"{member_id}@example.com", "name": name})


def ask(stack, community, post_id, title, author="m_ada"):
    data = {"post_id": post_id, "author_id": author, "title": title, "url": f"https://club.example/t/{post_id}"}
    send(stack, community, "post.created", data)


def link_after(text, title, label):
    """The link labelled `label` in the block of a nudge's text part that lists `title`."""
    block = text[text.index(title) :]
    return block[block.index(f"{label}: ") + len(label) + 2 :].split()[0]


def nudges_to(stack, address):
    return [mail for mail in stack.outbox() if mail["kind"] == "nudge" and address in str(mail["to"])]


def test_unanswered_posts_are_nudged_once_after_24_hours_in_one_email_and_a_reply_stops_the_reminder(stack):
    # One virtual timeline for two communities keeps this test short: every minute of it runs the
    # stack's schedules (the due jobs every minute, the nudge sweep every 15 minutes).
    trail = create(stack, "Trail Runners", "sam.lee@example.com")
    lake = create(stack, "Lakeside Swimmers", "ines.silva@example.com")
    for community in (trail, lake):
        join(stack, community, "m_ada", "Ada Lovelace")
        join(stack, community, "m_bo", "Bo Diddley")
    ask(stack, trail, "t_1", "Which headlamp for winter trails?")
    swims = ["Wetsuit or skins?", "Best time for the crossing?", "Anyone for Sunday at 7?"]
    for number, title in enumerate(swims):
        ask(stack, lake, f"s_{number}", title)

    stack.advance(23 * HOUR)
    assert nudges_to(stack, "sam.lee@example.com") == [] and nudges_to(stack, "ines.silva@example.com") == []

    stack.advance(1 * HOUR + 15 * 60)
    [trail_nudge] = nudges_to(stack, "sam.lee@example.com")
    [lake_nudge] = nudges_to(stack, "ines.silva@example.com")
    assert trail_nudge["subject"] == "Waiting for an answer: “Which headlamp for winter trails?”"
    assert "Which headlamp for winter trails?" in trail_nudge["text"] and "by Ada Lovelace" in trail_nudge["text"]
    assert lake_nudge["subject"] == "“Wetsuit or skins?” and 2 more posts wait for an answer"
    assert all(title in lake_nudge["text"] for title in swims)

    dismiss = link_after(lake_nudge["text"], "Anyone for Sunday at 7?", "No reply needed")
    shown = stack.get(dismiss)
    done = stack.post(dismiss, data={"confirm": "yes"})
    assert shown.status_code == 200 and "<form" in shown.text
    assert done.status_code == 200 and "no more nudges about it" in done.text

    stack.advance(45 * 60)  # three more sweeps
    assert len(nudges_to(stack, "sam.lee@example.com")) == 1
    assert len(nudges_to(stack, "ines.silva@example.com")) == 1

    send(stack, trail, "reply.created", {"reply_id": "r_1", "post_id": "t_1", "author_id": "m_bo"})
    stack.advance(23 * HOUR + 30 * 60)  # past twice the threshold, and the sweep after it

    assert len(nudges_to(stack, "sam.lee@example.com")) == 1  # answered: no reminder
    _, lake_reminder = nudges_to(stack, "ines.silva@example.com")
    assert lake_reminder["subject"] == "Reminder: “Wetsuit or skins?” and 1 more post still wait"
    assert "Second reminder" in lake_reminder["text"] and "Anyone for Sunday at 7?" not in lake_reminder["text"]
