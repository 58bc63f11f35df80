"""Monday to Thursday: questions nobody answers get one nudge to the leader a day later; an answer stops
the reminder; members who stayed quiet since joining get a friendly email on Thursday, and the leaders
are asked to say hello.

Starts on Monday morning (after the welcome chapter) and ends on Thursday at 08:15 UTC.
"""

from __future__ import annotations

from typing import Any

HOUR = 3600

QUESTIONS: dict[str, dict[str, str]] = {
    "it": {
        "post_id": "it_nudge_1",
        "author_id": "it_sara",
        "title": "Il mio lievito madre non raddoppia più: cosa sbaglio?",
        "url": "https://forum.lievito.example/t/41",
        "body": "Rinfresco 1:1:1 ogni sera, ma da una settimana cresce pochissimo. Troppo freddo in cucina?",
    },
    "en": {
        "post_id": "en_nudge_1",
        "author_id": "en_tom",
        "title": "A first 10k off-road: which route would you pick?",
        "url": "https://club.trail.example/t/41",
        "body": "I have only run on roads so far. Something not too steep, ideally with a café at the end.",
    },
}


def _sent(demo: Any, kind: str) -> list[dict[str, Any]]:
    return [mail for mail in demo.outbox() if mail["kind"] == kind]


def play(demo: Any) -> None:
    for key, question in QUESTIONS.items():
        demo.event(key, "post.created", question)
    demo.note("Monday: Sara and Tom each asked a question that nobody answers")

    # Tuesday 08:15 UTC: past the 24-hour threshold, and past 08:00 in London (Sam's quiet hours end then).
    demo.advance(25 * HOUR + 15 * 60)
    nudges = _sent(demo, "nudge")
    demo.note(
        f"Tuesday: {len(nudges)} nudge(s), one per leader, each naming the waiting question "
        "(Sam's waited for the end of his quiet hours in London)"
    )

    demo.event("it", "reply.created", {"reply_id": "it_nudge_r1", "post_id": "it_nudge_1", "author_id": "it_luca"})
    demo.advance(24 * HOUR)  # Wednesday 08:15 UTC: twice the threshold has passed
    reminders = [mail for mail in _sent(demo, "nudge") if mail not in nudges]
    names = ", ".join(sorted(demo.communities[key]["name"] for key in QUESTIONS))
    demo.note(
        f"Wednesday: Luca answered Sara, so Lievito & Co. got no reminder; {len(reminders)} reminder(s) "
        f"in all for {names} (Tom's question still waits)"
    )

    demo.advance(24 * HOUR)  # Thursday 08:15 UTC: three days after Monday's joins
    newcomers = _sent(demo, "newcomer")
    hellos = [
        mail for mail in _sent(demo, "nudge") if "Say hello to" in mail["text"] or "Fai un saluto a" in mail["text"]
    ]
    demo.note(
        f"Thursday: {len(newcomers)} quiet newcomer(s) got a friendly invitation to introduce themselves; "
        f"{len(hellos)} leader nudge(s) asked to say hello to them"
    )
