"""A poll's life under moto: sent at send_at, answered from the email, reminded, closed and reported."""

from __future__ import annotations

import re

import boto3
import pytest

from polls_support import PollsWorld, addressed_to, html_of, kind_of, poll_request, text_of, vote_tokens


@pytest.fixture
def polls(community, clock, ingest, monkeypatch):
    world = PollsWorld.start(community, clock, ingest, monkeypatch)
    world.join("u_1042", "Giulia Rossi", "giulia.rossi@example.com")
    world.join("u_2001", "Sam Lee", "sam.lee@example.com", locale="en")
    world.join("u_2002", "Priya Nair", "priya.nair@example.com", locale="en")
    return world


def _polls_emails(outbox, kind="poll"):
    return [message for message in outbox() if kind_of(message) == kind]


def _subject(message):
    # Python's parser keeps the space of a folded Subject line; mail clients do not show it.
    return str(message["Subject"]).strip()


def _one(messages, address):
    [message] = addressed_to(messages, address)
    return message


def test_at_send_at_every_member_gets_exactly_one_poll_email_with_one_button_per_option(polls, outbox, clock):
    from cerchia.store import get_store

    body = poll_request(send_at="2026-11-23T10:00:00+01:00")
    poll_id = polls.create_poll(body)["json"]["poll_id"]
    polls.sweep()
    assert _polls_emails(outbox) == []  # not yet: send_at is an hour away

    polls.advance(hours=1)
    polls.advance(minutes=1)  # a second sweep and a redelivered chunk send nothing twice
    polls.sweep()

    emails = _polls_emails(outbox)
    assert sorted(str(message["To"]) for message in emails) == sorted(
        [
            "Giulia Rossi <giulia.rossi@example.com>",
            "Sam Lee <sam.lee@example.com>",
            "Priya Nair <priya.nair@example.com>",
        ]
    )  # not Marco: the community's leader asked it, and gets the results instead
    sam = _one(emails, "sam.lee@example.com")
    assert _subject(sam) == "Your opinion, please: Quale giorno preferite per il…"
    assert len(vote_tokens(sam)) == 3
    assert "Sabato pomeriggio" in html_of(sam) and "/v/" in text_of(sam)
    assert sam["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    giulia = _one(emails, "giulia.rossi@example.com")
    assert _subject(giulia) == "Ci dici la tua? Quale giorno preferite per il laboratorio…"
    assert "Il sondaggio chiude sabato 28 novembre alle 18:00 (ora di Roma)." in text_of(giulia)
    assert polls.read_poll(poll_id)["json"]["status"] == "open"
    assert polls.read_poll(poll_id)["json"]["eligible"] == 4
    assert get_store().get_job("poll", poll_id).due == clock.now().replace(hour=17, day=27, minute=0)


def test_members_who_left_or_turned_polls_off_get_no_poll_email(polls, outbox):
    from cerchia.store import get_store, keys

    polls.leave("u_2002")
    get_store().call(
        "update_item",
        TableName=get_store().table_name,
        Key={k: {"S": v} for k, v in keys.member(polls.community.community_id, "u_2001").items()},
        UpdateExpression="SET polls = :off",
        ExpressionAttributeValues={":off": {"BOOL": False}},
    )

    polls.scheduled_poll()
    polls.sweep()

    recipients = {str(message["To"]) for message in _polls_emails(outbox)}
    assert not any("sam.lee" in to or "priya.nair" in to for to in recipients)
    assert any("giulia.rossi" in to for to in recipients)


def test_opening_a_vote_link_shows_a_form_with_the_option_chosen_and_records_nothing(polls, outbox):
    poll_id = polls.scheduled_poll()
    polls.sweep()
    token = vote_tokens(_one(_polls_emails(outbox), "sam.lee@example.com"))[1]

    page = polls.open(token)

    assert page["statusCode"] == 200
    assert '<form method="post" action="">' in page["body"]
    assert re.search(r'value="1" checked', page["body"])
    assert len(re.findall(r"checked", page["body"])) == 1
    assert page["headers"]["Cache-Control"] == "no-store"
    assert "<script" not in page["body"]
    assert polls.read_poll(poll_id)["json"]["ballots"] == 0


def test_submitting_records_one_ballot_and_changing_it_moves_the_tallies(polls, outbox):
    poll_id = polls.scheduled_poll()
    polls.sweep()
    first, second, _ = vote_tokens(_one(_polls_emails(outbox), "sam.lee@example.com"))

    thanks = polls.submit(first, 0)
    again = polls.submit(first, 0)
    changed = polls.submit(second, 1)

    assert thanks["statusCode"] == 200 and "Thank you, Sam!" in thanks["body"]
    assert "Your answer is in: Sabato mattina." in thanks["body"]
    assert "nothing changed" in again["body"]
    assert "Your answer is changed to: Sabato pomeriggio." in changed["body"]
    read = polls.read_poll(poll_id)["json"]
    assert read["ballots"] == 1
    assert [option["votes"] for option in read["options"]] == [0, 1, 0]
    reopened = polls.open(first)
    assert "Your current answer: Sabato pomeriggio." in reopened["body"]


def test_multiple_choice_uses_one_ballot_link_and_checkboxes(polls, outbox):
    multiple_id = polls.create_poll(
        poll_request("polls_create_multiple", send_at=None, close_at="2026-11-27T18:00:00Z")
    )["json"]["poll_id"]
    polls.sweep()
    email = next(
        message
        for message in addressed_to(_polls_emails(outbox), "priya.nair@example.com")
        if "Which flours" in _subject(message)
    )
    [ballot_link] = vote_tokens(email)

    page = polls.open(ballot_link)
    answered = polls.submit(ballot_link, 1, 3)
    narrowed = polls.submit(ballot_link, 3)

    assert page["body"].count('type="checkbox"') == 5 and " checked" not in page["body"]
    assert "Your answer is in: Wholemeal, Spelt." in answered["body"]
    read = polls.read_poll(multiple_id)["json"]
    assert narrowed["statusCode"] == 200
    assert read["ballots"] == 1
    assert [option["votes"] for option in read["options"]] == [0, 0, 0, 1, 0]


def test_submitting_nothing_shows_the_form_again_with_a_sentence(polls, outbox):
    poll_id = polls.scheduled_poll()
    polls.sweep()
    token = vote_tokens(_one(_polls_emails(outbox), "sam.lee@example.com"))[0]

    empty = polls.submit(token)
    forged = polls.submit(token, 7)

    assert empty["statusCode"] == 400 and "Choose an answer before confirming." in empty["body"]
    assert forged["statusCode"] == 400 and "not one of the poll&#39;s options" in forged["body"]
    assert polls.read_poll(poll_id)["json"]["ballots"] == 0


def test_anonymous_poll_keeps_only_a_marker_and_refuses_a_change(polls, outbox):
    from cerchia.store import keys

    poll_id = polls.create_poll(poll_request("polls_create_scale", send_at=None, close_at="2026-11-27T18:00:00Z"))[
        "json"
    ]["poll_id"]
    polls.sweep()
    tokens = vote_tokens(_one(_polls_emails(outbox), "priya.nair@example.com"))

    first = polls.submit(tokens[4], 4)
    second = polls.submit(tokens[0], 0)
    reopened = polls.open(tokens[0])

    assert len(tokens) == 5
    assert "counted, anonymously" in first["body"]
    assert "You have already answered" in second["body"] and "You have already answered" in reopened["body"]
    read = polls.read_poll(poll_id)["json"]
    assert (read["ballots"], [option["votes"] for option in read["options"]]) == (1, [0, 0, 0, 0, 1])
    voters = boto3.client("dynamodb").query(
        TableName="cerchia-test",
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": keys.poll_voters(polls.community.community_id, poll_id)}},
    )["Items"]
    # no choice, no time of voting: only the poll's own expiry (the same for every voter)
    assert [set(item) for item in voters] == [{"pk", "sk", "entity", "expires_at"}]


def test_reminder_goes_24_hours_before_close_to_members_who_have_not_answered_once(polls, outbox, clock):
    polls.scheduled_poll()  # closes in five days
    polls.sweep()
    sam_token = vote_tokens(_one(_polls_emails(outbox), "sam.lee@example.com"))[2]
    polls.submit(sam_token, 2)

    polls.advance(days=3, hours=23, minutes=58)
    assert _polls_emails(outbox, "poll-reminder") == []
    polls.advance(minutes=2)
    polls.advance(minutes=1)

    reminders = _polls_emails(outbox, "poll-reminder")
    assert sorted(str(message["To"]).split("<")[1].rstrip(">") for message in reminders) == [
        "giulia.rossi@example.com",
        "priya.nair@example.com",
    ]
    priya = _one(reminders, "priya.nair@example.com")
    assert _subject(priya) == "Reminder, last day: Quale giorno preferite per il…"
    assert len(vote_tokens(priya)) == 3


def test_a_poll_shorter_than_a_day_and_a_half_gets_no_reminder(polls, outbox, clock):
    polls.create_poll(poll_request(send_at=None, close_at="2026-11-24T12:00:00Z"))
    polls.sweep()

    for _ in range(30):
        polls.advance(hours=1)

    assert _polls_emails(outbox, "poll-reminder") == []
    assert len(_polls_emails(outbox, "poll-results")) == 1  # the leader; nobody answered


def test_close_sends_results_with_bars_and_participation_to_leaders_and_voters(polls, outbox, clock):
    from cerchia.store import get_store

    poll_id = polls.scheduled_poll()
    polls.sweep()
    emails = _polls_emails(outbox)
    polls.submit(vote_tokens(_one(emails, "sam.lee@example.com"))[0], 0)
    polls.submit(vote_tokens(_one(emails, "priya.nair@example.com"))[0], 0)
    polls.submit(vote_tokens(_one(emails, "giulia.rossi@example.com"))[2], 2)

    polls.advance(days=5)
    polls.advance(minutes=1)

    results = _polls_emails(outbox, "poll-results")
    assert sorted(str(message["To"]).split("<")[1].rstrip(">") for message in results) == [
        "giulia.rossi@example.com",
        "marco.bianchi@example.com",
        "priya.nair@example.com",
        "sam.lee@example.com",
    ]
    leader = _one(results, "marco.bianchi@example.com")
    html = html_of(leader)
    assert _subject(leader) == "Risultati: Quale giorno preferite per il laboratorio di…"
    assert 'width="67%"' in html and 'width="33%"' in html
    assert "Hanno risposto 3 persone su 4 (75%)." in html
    assert "<svg" not in html and "<script" not in html
    for name in ("Sam Lee", "Priya Nair", "Giulia Rossi"):
        assert name not in html
    sam = _one(results, "sam.lee@example.com")
    assert "3 of 4 members answered (75%)." in text_of(sam)
    assert "Sabato mattina: 2 votes · 67%" in text_of(sam)
    assert polls.read_poll(poll_id)["json"]["status"] == "closed"
    assert get_store().get_job("poll", poll_id) is None


def test_after_close_a_vote_link_shows_the_results_and_says_it_is_closed(polls, outbox, clock):
    poll_id = polls.scheduled_poll()
    polls.sweep()
    sam_tokens = vote_tokens(_one(_polls_emails(outbox), "sam.lee@example.com"))
    polls.submit(sam_tokens[1], 1)
    polls.advance(days=5)

    page = polls.open(sam_tokens[0])
    late = polls.submit(sam_tokens[0], 0)

    assert page["statusCode"] == 200
    assert "This poll is closed" in page["body"] and "<form" not in page["body"]
    assert "Your answer: Sabato pomeriggio." in page["body"]
    assert "width:100%" in page["body"]
    assert late["statusCode"] == 409 and "not counted" in late["body"]
    assert polls.read_poll(poll_id)["json"]["ballots"] == 1


def test_a_vote_arriving_after_close_at_is_refused_even_before_the_sweep_closes_the_poll(polls, outbox, clock):
    poll_id = polls.scheduled_poll()
    polls.sweep()
    token = vote_tokens(_one(_polls_emails(outbox), "sam.lee@example.com"))[0]
    clock.advance(days=5)  # close_at has passed; no sweep yet

    late = polls.submit(token, 0)

    assert late["statusCode"] == 409
    assert polls.read_poll(poll_id)["json"] | {"options": None} == polls.read_poll(poll_id)["json"] | {
        "ballots": 0,
        "status": "closed",
        "options": None,
    }


def test_tampered_and_expired_links_get_403_pages_with_a_sentence(polls, outbox, clock):
    polls.scheduled_poll()
    polls.sweep()
    token = vote_tokens(_one(_polls_emails(outbox), "giulia.rossi@example.com"))[0]
    payload, signature = token.rsplit(".", 1)
    tampered = payload[:-2] + ("AA" if not payload.endswith("AA") else "BB") + "." + signature

    forged = polls.open(tampered, accept_language="it-IT,it;q=0.9")
    posted = polls.submit(tampered, 0)
    clock.advance(days=5 + 31)
    expired = polls.open(token)

    assert forged["statusCode"] == 403 and "Questo link del sondaggio non funziona" in forged["body"]
    assert posted["statusCode"] == 403
    assert expired["statusCode"] == 403 and "Questo link del sondaggio è scaduto" in expired["body"]


def test_a_member_who_left_is_politely_refused(polls, outbox):
    poll_id = polls.scheduled_poll()
    polls.sweep()
    token = vote_tokens(_one(_polls_emails(outbox), "priya.nair@example.com"))[0]
    polls.leave("u_2002")

    page = polls.open(token)
    posted = polls.submit(token, 0)

    assert page["statusCode"] == 403
    assert "You are no longer a member of Lievito &amp; Co." in page["body"]
    assert "Thank you for the time you spent with us." in page["body"]
    assert posted["statusCode"] == 403
    assert polls.read_poll(poll_id)["json"]["ballots"] == 0


def test_pages_speak_the_members_language(polls, outbox):
    polls.scheduled_poll()
    polls.sweep()
    token = vote_tokens(_one(_polls_emails(outbox), "giulia.rossi@example.com"))[1]

    page = polls.open(token)
    thanks = polls.submit(token, 1)

    assert '<html lang="it">' in page["body"] and "Invia la mia risposta" in page["body"]
    assert "Grazie, Giulia!" in thanks["body"]
    assert "La tua risposta è arrivata: Sabato pomeriggio." in thanks["body"]
