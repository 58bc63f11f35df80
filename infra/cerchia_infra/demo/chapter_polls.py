"""Polls: a leader asks, members answer from the email through the real vote pages, one changes their mind,
non-voters are reminded, the poll closes and the results go out with their bar chart.

Everything goes over HTTP as it would for real: the poll is created with the leader API and the
community's API key; the vote links come from the poll emails in the outbox; each link is opened
first (as a browser or a mail scanner would: nothing is recorded), then its form is posted.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

KEY = "it"
QUESTION = "Quale farina usate per il pane di tutti i giorni?"
OPTIONS = ["Tipo 0", "Tipo 1", "Integrale", "Semola rimacinata"]
# who answers what (option index); the last one changes their mind afterwards
ANSWERS = [(0, 1), (1, 2), (2, 1), (1, 1)]
VOTE_LINK = re.compile(r'href="(https?://[^"]+/v/[A-Za-z0-9._\-]+)"')


def play(demo: Any) -> None:
    community = demo.communities[KEY]
    members = demo.members[KEY]
    now = demo.now()
    created = demo.post(
        f"/v1/communities/{community['community_id']}/polls",
        json={
            "question": QUESTION,
            "options": OPTIONS,
            "kind": "single",
            "send_at": (now + timedelta(minutes=5)).isoformat(),
            "close_at": (now + timedelta(days=2)).isoformat(),
            "anonymous": False,
        },
        headers={"Authorization": f"Bearer {community['api_key']}"},
    )
    if created.status_code != 201:
        raise RuntimeError(f"The poll was refused ({created.status_code}): {created.text}")
    poll_id = created.json()["poll_id"]
    demo.note(f'{community["name"]}: the leader created a poll with the API: "{QUESTION}" ({len(OPTIONS)} options)')

    demo.advance(7 * 60)  # send_at, then the next minute's sweep
    polls = _emails(demo, "poll")
    demo.note(f"{len(polls)} poll emails went out at send_at, one button per option")

    answered = []
    for position, (member_index, option) in enumerate(ANSWERS):
        member = members[member_index % len(members)]
        links = _links_for(polls, member["email"])
        if len(links) <= option:
            continue
        demo.get(links[option])  # the page opens with this option chosen; nothing is recorded yet
        answer = demo.post(links[option], data={"choice": str(option)})
        if answer.status_code == 200:
            verb = "changed their answer to" if position == len(ANSWERS) - 1 else "answered"
            answered.append(f"{member['name']} {verb} {OPTIONS[option]}")
    if answered:
        demo.note("Through the vote pages: " + "; ".join(answered))

    summary = _read(demo, community, poll_id)
    votes = ", ".join(f"{option['label']} {option['votes']}" for option in summary["options"])
    demo.note(f"The leader API counts {summary['ballots']} ballots of {summary['eligible']} members: {votes}")

    demo.advance(24 * 3600)  # 24 hours before close: the reminder
    demo.note(f"A reminder went to each member who had not answered yet ({len(_emails(demo, 'poll-reminder'))})")
    demo.advance(24 * 3600 + 60)  # close_at, then the next sweep
    results = _emails(demo, "poll-results")
    final = _read(demo, community, poll_id)
    demo.note(
        f"The poll closed ({final['status']}); {len(results)} results emails with a bar chart went to the leader "
        f"and the members who answered ({round(final['participation'] * 100)}% took part)"
    )


def _emails(demo: Any, kind: str) -> list[dict[str, Any]]:
    return [
        mail for mail in demo.outbox() if mail["kind"] == kind and QUESTION in mail["text"]
    ]  # subjects cut long questions


def _links_for(emails: list[dict[str, Any]], address: str) -> list[str]:
    for mail in emails:
        if address.lower() in mail["to"].lower():
            found: list[str] = []
            for link in VOTE_LINK.findall(mail["html"]):
                if link not in found:
                    found.append(link)
            return found
    return []


def _read(demo: Any, community: dict[str, Any], poll_id: str) -> dict[str, Any]:
    answer = demo.get(
        f"/v1/communities/{community['community_id']}/polls/{poll_id}",
        headers={"Authorization": f"Bearer {community['api_key']}"},
    )
    return dict(answer.json())
