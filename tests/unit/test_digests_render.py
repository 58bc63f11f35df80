"""How the digests read: both languages, escaped, charts as HTML/CSS bars, numbers and dates said naturally."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import cerchia
from cerchia.digests import emails, report
from cerchia.digests.words import Words
from cerchia.domain import digest_content as content
from cerchia.domain import digests as d
from cerchia.domain import health as figures
from cerchia.domain.cards import PollCard, PollOption
from cerchia.domain.models import Community, Member
from cerchia.i18n import translator
from cerchia.mail.sending import SendPacer

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
START, END = d.week_bounds("2026-W48", "Europe/Rome")
ROME = Community(community_id="c_1", name="Lievito & Co.", timezone="Europe/Rome", locale="it")
GIULIA = Member(community_id="c_1", member_id="u_1", email="giulia@example.com", name="Giulia", locale="it")
SAM = Member(community_id="c_1", member_id="u_2", email="sam@example.com", name="Sam", locale="en", role="leader")
CATALOGUE = Path(cerchia.__file__).parent / "catalogue"


@pytest.fixture(autouse=True)
def environment(monkeypatch):
    from cerchia import runtime

    for name, value in {
        "TABLE_NAME": "unit",
        "LINK_SECRET": "unit-link-secret-0123456789",
        "PUBLIC_BASE_URL": "https://cerchia.example",
    }.items():
        monkeypatch.setenv(name, value)
    runtime.reset()
    yield
    runtime.reset()


def post(post_id: str, title: str, replies: int = 2, reactions: int = 1, author: str = "Luca") -> content.PostCard:
    return content.PostCard(
        post_id=post_id,
        title=title,
        url=f"https://forum.example.com/t/{post_id}",
        excerpt="Dopo tre tentativi finalmente una crosta croccante!",
        author_id="u_9",
        author_name=author,
        created_at=START + timedelta(days=1, hours=10),
        replies=replies,
        repliers=replies,
        reactions=reactions,
        engagement=replies * 2 + replies * 3 + reactions,  # rules.engagement of the post
    )


def snapshot(**changes) -> content.Snapshot:
    closed = PollCard(
        question="Manitoba o Tipo 0?",
        ballots=4,
        eligible=8,
        options=[PollOption(label="Manitoba", votes=3, share=0.75), PollOption(label="Tipo 0", votes=1, share=0.25)],
    )
    values = {
        "community_id": "c_1",
        "week": "2026-W48",
        "start": START,
        "end": END,
        "activity": True,
        "numbers": content.Numbers(posts=3, replies=5, joins=1, active=4),
        "top_posts": [post("p_1", "La mia prima pagnotta <script>alert(1)</script>"), post("p_2", "Farro", 1, 0)],
        "unanswered": [post("p_3", "Quale termometro?", 0, 0, author="Sara")],
        "new_members": [content.NewMember(member_id="u_5", name="Anna")],
        "new_member_count": 1,
        "closed_polls": [closed],
        "health": [
            figures.WeekHealth(
                week=d.shift_week("2026-W48", -back), decided=4, answered_in_time=back % 4, members=10, active=3
            )
            for back in range(7, 0, -1)
        ]
        + [
            figures.WeekHealth(
                week="2026-W48",
                decided=4,
                answered_in_time=3,
                median_first_reply_seconds=5400,
                members=10,
                active=5,
                newcomers=2,
                newcomers_posted=1,
            )
        ],
    }
    values.update(changes)
    return content.Snapshot(**values)


def member_copy(**changes) -> content.MemberDigest:
    open_poll = PollCard(
        question="Bologna o Milano?",
        options=[
            PollOption(label="Bologna", url="https://cerchia.example/v/a"),
            PollOption(label="Milano", url="https://cerchia.example/v/b"),
        ],
    )
    values = {"replies_received": 1, "reactions_received": 2, "open_polls": [open_poll]}
    values.update(changes)
    base = content.member_digest(snapshot(), "u_1", {})
    return content.MemberDigest(**{**base.__dict__, **values})


def test_the_member_digest_speaks_italian_names_the_posts_and_escapes_them():
    outgoing = emails.compose_member_digest(ROME, GIULIA, snapshot(), member_copy(), NOW)

    assert outgoing.kind == "digest"
    assert outgoing.subject == "Lievito & Co. questa settimana: «La mia prima…» e non solo"
    assert len(outgoing.subject) <= 60
    assert "&lt;script&gt;" in outgoing.html and "<script" not in outgoing.html
    assert "https://forum.example.com/t/p_1" in outgoing.html and "https://forum.example.com/t/p_2" in outgoing.text
    assert "di Luca · 2 risposte · 1 reazione" in outgoing.text
    assert "Il tuo post ha ricevuto 1 risposta. E anche 2 reazioni." in outgoing.text
    assert "Quale termometro?" in outgoing.text and "chiesto da Sara martedì 24 novembre" in outgoing.text
    assert "23–29 novembre" in outgoing.text
    assert outgoing.unsubscribe_url and outgoing.unsubscribe_url.startswith("https://cerchia.example/u/")


def test_poll_results_are_css_bars_and_open_polls_one_button_per_option():
    outgoing = emails.compose_member_digest(ROME, GIULIA, snapshot(), member_copy(), NOW)

    assert '<td width="75%" style="background:#c8553d' in outgoing.html
    assert '<td width="25%" style="background:#c8553d' in outgoing.html
    assert "Hanno votato 4 persone su 8 (50%)." in outgoing.text
    assert outgoing.html.count('href="https://cerchia.example/v/') == 2
    assert "Bologna: https://cerchia.example/v/a" in outgoing.text
    assert "<svg" not in outgoing.html and "<script" not in outgoing.html.replace("&lt;script", "")


def test_an_english_reader_of_an_italian_community_reads_english_and_a_biweekly_one_is_told():
    reader = GIULIA.model_copy(update={"locale": "en", "digest": "biweekly"})
    copy = member_copy(replies_received=0, reactions_received=1, open_polls=[], weeks=2)

    outgoing = emails.compose_member_digest(ROME, reader, snapshot(), copy, NOW)

    assert outgoing.subject.startswith("Lievito & Co. this week: “La mia prima pagnotta")
    assert "Your post got 1 reaction." in outgoing.text
    assert "this one covers the last two weeks" in outgoing.text
    assert "You can have it every week instead, or not at all." in outgoing.text  # the choice not made
    assert "23–29 November" in outgoing.text and "3 new posts · 5 replies · 1 new member\n" in outgoing.text


def test_the_leader_report_shows_each_metric_with_its_change_and_eight_bars():
    outgoing = emails.compose_leader_digest(ROME, SAM, snapshot(), NOW, waiting=["p_3"])

    assert outgoing.kind == "leader-digest"
    assert outgoing.subject == "Report for Lievito & Co.: 23–29 November"
    assert "Posts answered within 24 h: 75% (3 of 4)" in outgoing.text
    assert "+50 pts on last week" in outgoing.text  # 25% the week before
    assert "Last 8 weeks: 75% · 50% · 25% · 0% · 75% · 50% · 25% · 75%" in outgoing.text
    assert "Median time to a first reply: 1 h 30 min" in outgoing.text
    assert "Active members (posted, replied or voted): 5 of 10 (50%)" in outgoing.text
    assert "Newcomers who made a first post: 1 of 2" in outgoing.text
    assert "Quale termometro? (by Sara, waiting for 5 days 23 h)" in outgoing.text
    # answered, median, active, newcomers, unsubscribes-bounces-suppressed; no polls
    assert outgoing.html.count('title="') == 8 + 1 + 8 + 1 + 8
    assert "#2e7d4f" in outgoing.html  # a change for the better is green
    # trend bars are table cells sized by width (Outlook honours widths, not div heights)
    assert __import__("re").search(r'<td width="\d+%" bgcolor="#c8553d"', outgoing.html)
    assert "<svg" not in outgoing.html and "<script" not in outgoing.html.replace("&lt;script", "")


def test_faster_first_replies_count_as_better():
    weeks = snapshot().health
    faster = [*weeks[:-2], weeks[-2].model_copy(update={"median_first_reply_seconds": 7200}), weeks[-1]]
    words = Words(translator("en"), "Europe/Rome")

    metrics = report.health_report(ROME, snapshot(health=faster), words).metrics

    median = metrics[1]
    assert (median.change, median.tone) == ("−30 min on last week", "good")


@pytest.mark.parametrize(
    ("locale", "start", "expected"),
    [
        ("en", "2026-W48", "23–29 November"),
        ("it", "2026-W48", "23–29 novembre"),
        ("en", "2026-W49", "30 November – 6 December"),
        ("it", "2026-W53", "28 dicembre – 3 gennaio"),
    ],
)
def test_week_ranges_read_naturally(locale, start, expected):
    words = Words(translator(locale), "Europe/Rome", locale)

    assert words.week_range(*d.week_bounds(start, "Europe/Rome")) == expected


def test_durations_read_naturally():
    en, it = Words(translator("en"), "UTC", "en"), Words(translator("it"), "UTC", "it")

    assert [en.duration(seconds) for seconds in (40, 2700, 3600, 5400, 86400 + 7200, 2 * 86400)] == [
        "1 min",
        "45 min",
        "1 h",
        "1 h 30 min",
        "1 day 2 h",
        "2 days",
    ]
    assert it.duration(3 * 86400 + 3600) == "3 giorni 1 h" and it.duration(None) == "—"


def test_the_send_pacer_spaces_emails_at_the_configured_rate_and_never_sleeps_without_one():
    clock = {"now": 0.0}
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock["now"] += seconds

    unlimited = SendPacer(0, lambda: clock["now"], sleep)
    for _ in range(100):
        unlimited.wait()
    assert slept == []

    paced = SendPacer(4, lambda: clock["now"], sleep)
    for _ in range(5):
        paced.wait()
    assert slept == pytest.approx([0.25] * 4)
    clock["now"] += 10  # an idle worker does not save up a burst beyond one email
    paced.wait()
    paced.wait()
    assert slept[-1] == pytest.approx(0.25)


def test_the_digest_catalogue_says_the_same_things_in_english_and_italian():
    english = json.loads((CATALOGUE / "en" / "digests.json").read_text(encoding="utf-8"))
    italian = json.loads((CATALOGUE / "it" / "digests.json").read_text(encoding="utf-8"))

    assert english.keys() == italian.keys()
    assert all(key.startswith("digests.") for key in english)
    for key, phrase in english.items():
        # a plural's "one" form may say the number in words ("e un'altra persona")
        ignored = {"count"} if key.endswith(".one") else set()
        assert sorted(set(_fields(phrase)) - ignored) == sorted(set(_fields(italian[key])) - ignored), key


def _fields(phrase: str) -> list[str]:
    import string

    return [name for _, name, _, _ in string.Formatter().parse(phrase) if name]
