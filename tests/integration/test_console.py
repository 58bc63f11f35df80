"""The leaders' console under moto: sign-in links, sessions, CSRF, who may see what, polls, settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from console_support import ConsoleBrowser, open_links, text_part

from support import event

FOUNDER = "marco.bianchi@example.com"
SENT = "/l/sign-in/sent"


def sign_in_emails(outbox):
    return [message for message in outbox() if message["X-Cerchia-Kind"] == "sign-in"]


def signed_in(community, outbox, address=FOUNDER) -> ConsoleBrowser:
    browser = ConsoleBrowser()
    before = len(sign_in_emails(outbox))
    assert browser.post("/l/sign-in", {"email": address})["statusCode"] == 303
    [link] = open_links(sign_in_emails(outbox)[before])
    opened = browser.sign_in_with(link)
    assert opened["statusCode"] == 303, opened["body"]
    return browser


def community_name(community_id):
    from cerchia.store import get_store

    return get_store().get_community(community_id).name


def test_sign_in_answers_the_same_for_an_unknown_address_and_emails_only_the_leader(community, clock, outbox):
    browser = ConsoleBrowser()

    unknown = browser.post("/l/sign-in", {"email": "nobody@example.com"})
    known = browser.post("/l/sign-in", {"email": "Marco.Bianchi@example.com"})
    page = browser.get(SENT)

    assert (unknown["statusCode"], unknown["headers"]["Location"]) == (303, SENT)
    assert (known["statusCode"], known["headers"]["Location"]) == (303, SENT)
    assert unknown["body"] == known["body"] == ""
    assert page["statusCode"] == 200 and "If this address leads a community, a link is on its way." in page["body"]
    [message] = sign_in_emails(outbox)
    assert message["To"].addresses[0].addr_spec == FOUNDER
    assert message["Subject"] == "Il tuo link alla console di Lievito & Co."
    [link] = open_links(message)
    assert link.startswith("https://cerchia.example/l/open/")
    assert "Funziona una volta sola, per 30 minuti." in text_part(message)


def test_a_sign_in_link_shows_a_button_then_opens_one_session_only(community, clock, outbox):
    browser = ConsoleBrowser()
    browser.post("/l/sign-in", {"email": FOUNDER})
    [link] = open_links(sign_in_emails(outbox)[0])

    shown = browser.get(link)
    opened = browser.post(link)
    again = ConsoleBrowser().post(link)
    home = browser.get(f"/l/{community.community_id}")

    assert shown["statusCode"] == 200 and "<button" in shown["body"] and not shown.get("cookies")
    assert opened["statusCode"] == 303 and opened["headers"]["Location"] == f"/l/{community.community_id}"
    [cookie] = opened["cookies"]
    assert cookie.startswith("cerchia_session=")
    for attribute in ("HttpOnly", "SameSite=Lax", "Path=/l/", "Max-Age=43200", "Secure"):
        assert attribute in cookie.split("; ")
    assert again["statusCode"] == 403 and 'href="/l/sign-in"' in again["body"]
    assert "was used, has expired or was changed" in again["body"]
    assert home["statusCode"] == 200 and "Lievito &amp; Co." in home["body"]
    assert home["headers"]["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in home["headers"]["Content-Security-Policy"]
    assert "default-src 'none'" in home["headers"]["Content-Security-Policy"]


def test_an_expired_or_forged_link_gets_a_403_page_pointing_to_sign_in(community, clock, outbox):
    browser = ConsoleBrowser()
    browser.post("/l/sign-in", {"email": FOUNDER})
    [link] = open_links(sign_in_emails(outbox)[0])
    payload, signature = link.rsplit(".", 1)

    forged = browser.post(payload + "x." + signature)
    clock.advance(minutes=31)
    expired_get = browser.get(link)
    expired = browser.post(link)

    for refused in (forged, expired_get, expired):
        assert refused["statusCode"] == 403
        assert "Ask for a new link on the sign-in page." in refused["body"]
        assert not refused.get("cookies")


def test_the_sixth_sign_in_email_within_an_hour_is_not_sent_and_the_answer_looks_the_same(community, clock, outbox):
    from cerchia.store import console as console_store
    from cerchia.store import get_store
    from cerchia.store.suppression import address_hash

    browser = ConsoleBrowser()
    answers = [browser.post("/l/sign-in", {"email": FOUNDER}) for _ in range(6)]
    counted = console_store.sign_in_emails(get_store(), address_hash(FOUNDER), clock.now())
    clock.advance(hours=1)
    browser.post("/l/sign-in", {"email": FOUNDER})

    assert {(answer["statusCode"], answer["headers"]["Location"]) for answer in answers} == {(303, SENT)}
    assert counted == 5
    assert len(sign_in_emails(outbox)) == 6  # five in the first hour, one in the next


def test_a_post_without_the_sessions_csrf_token_or_with_another_sessions_is_refused_and_changes_nothing(
    community, clock, outbox
):
    mine = signed_in(community, outbox)
    other = signed_in(community, outbox)
    settings = f"/l/{community.community_id}/settings"
    form = {**_settings_form(mine, settings), "name": "Lievito e Compagnia"}
    other_token = other.csrf(settings)

    missing = mine.post(settings, {k: v for k, v in form.items() if k != "csrf"})
    foreign = mine.post(settings, {**form, "csrf": other_token})
    unchanged = community_name(community.community_id)
    accepted = mine.post(settings, form)

    assert missing["statusCode"] == 403 and foreign["statusCode"] == 403
    assert "nothing was changed" in missing["body"]
    assert unchanged == "Lievito & Co."
    assert accepted["statusCode"] == 303 and accepted["headers"]["Location"] == settings
    assert community_name(community.community_id) == "Lievito e Compagnia"
    assert "Impostazioni salvate." in mine.get(settings)["body"]  # the leader's language


def _settings_form(browser, settings):
    import re

    page = browser.get(settings)["body"]
    form = dict(
        re.findall(r'<input type="(?:text|url|number|hidden)" (?:id="[^"]+" )?name="([^"]+)" value="([^"]*)"', page)
    )
    for name in ("locale", "quiet_start_hour", "quiet_end_hour", "digest_day", "digest_hour"):
        select = re.search(rf'<select id="{name}" name="{name}"[^>]*>(.*?)</select>', page, re.S).group(1)
        form[name] = re.search(r'<option value="([^"]+)"[^>]*selected', select).group(1)
    return {name: value.replace("&amp;", "&") for name, value in form.items()}


def test_a_session_for_one_community_gets_403_on_another_communitys_pages(community, english_community, clock, outbox):
    browser = signed_in(community, outbox)
    other = english_community.community_id

    pages = [browser.get(f"/l/{other}"), browser.get(f"/l/{other}/settings"), browser.get(f"/l/{other}/polls/new")]
    posted = browser.post(f"/l/{other}/settings", {"csrf": browser.csrf(f"/l/{community.community_id}"), "name": "X"})

    assert [page["statusCode"] for page in pages] == [403, 403, 403]
    assert "This isn&#39;t your community" in pages[0]["body"]
    assert posted["statusCode"] == 403
    assert community_name(other) == "Trail Runners <Bay Area>"


@pytest.mark.parametrize("change", ["demoted", "left"])
def test_a_demoted_or_departed_leader_loses_access_at_the_next_request(community, ingest, clock, outbox, change):
    ingest(community, event("nudges_leader_joined"))  # Anna Verdi, leader
    browser = signed_in(community, outbox, "anna.verdi@example.com")
    home = f"/l/{community.community_id}"
    assert browser.get(home)["statusCode"] == 200

    if change == "demoted":
        demoted = event("member_updated", member_id="u_8", role="member")
        demoted["data"] = {"member_id": "u_8", "role": "member"}
        assert ingest(community, demoted)["statusCode"] == 202
    else:
        assert ingest(community, event("member_left", member_id="u_8"))["statusCode"] == 202
    refused = browser.get(home)
    after = browser.get(home)

    assert refused["statusCode"] == 403 and "You no longer lead this community" in refused["body"]
    assert after["statusCode"] == 303 and after["headers"]["Location"] == "/l/sign-in"  # the session is gone


def test_a_departed_leader_gets_no_sign_in_email(community, ingest, clock, outbox):
    ingest(community, event("nudges_leader_joined"))
    ingest(community, event("member_left", member_id="u_8"))

    ConsoleBrowser().post("/l/sign-in", {"email": "anna.verdi@example.com"})

    assert sign_in_emails(outbox) == []


def test_sign_out_ends_the_session_for_good(community, clock, outbox):
    browser = signed_in(community, outbox)
    home = f"/l/{community.community_id}"
    cookie = dict(browser.cookies)

    out = browser.post("/l/sign-out", {"csrf": browser.csrf(home)})
    replay = ConsoleBrowser()
    replay.cookies = cookie
    replayed = replay.get(home)

    assert out["statusCode"] == 303 and out["headers"]["Location"] == "/l/sign-in"
    [cleared] = out["cookies"]
    assert cleared.startswith("cerchia_session=;") and "Max-Age=0" in cleared
    assert replayed["statusCode"] == 303 and replayed["headers"]["Location"] == "/l/sign-in"


def test_the_poll_form_shows_errors_beside_their_fields_keeps_what_was_typed_then_creates_the_poll(
    community, clock, outbox
):
    from cerchia.store import get_store
    from cerchia.store.polls import get_poll

    browser = signed_in(community, outbox)
    new = f"/l/{community.community_id}/polls/new"
    form = {
        "csrf": browser.csrf(new),
        "question": "Quale farina per il prossimo laboratorio?",
        "options": "Tipo 0\nTipo 1\nIntegrale",
        "kind": "single",
        "send_at": "2026-11-23T10:00",
        "close_at": "2026-11-23T10:30",  # half an hour: too short
    }

    refused = browser.post(new, form)
    shown = browser.get(new)["body"]
    created = browser.post(new, {**form, "close_at": "2026-11-26T18:00"})
    poll_id = created["headers"]["Location"].rsplit("/", 1)[1]
    page = browser.get(created["headers"]["Location"])["body"]

    assert refused["statusCode"] == 303 and refused["headers"]["Location"] == new
    assert '<p class="error" id="close_at-error">Scegli un&#39;ora di chiusura tra un&#39;ora e 90 giorni' in shown
    assert 'aria-invalid="true"' in shown and "question-error" not in shown
    assert (
        'value="Quale farina per il prossimo laboratorio?"' in shown and "Tipo 0\nTipo 1\nIntegrale</textarea>" in shown
    )
    assert created["statusCode"] == 303
    poll = get_poll(get_store(), community.community_id, poll_id)
    assert poll.options == ("Tipo 0", "Tipo 1", "Integrale")
    assert poll.send_at == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 10:00 in Rome
    assert poll.close_at == datetime(2026, 11, 26, 17, 0, tzinfo=UTC)
    assert "Il sondaggio è pronto." in page and "In programma" in page and "Annulla il sondaggio" in page


def test_a_scheduled_poll_can_be_cancelled_and_an_open_one_closed_now(community, clock, outbox):
    from cerchia.domain.polls import NewPoll
    from cerchia.polls import create_poll
    from cerchia.store import get_store
    from cerchia.store.polls import get_poll, open_poll

    browser = signed_in(community, outbox)
    meta = get_store().get_community(community.community_id)
    ask = NewPoll(question="Pane o focaccia?", options=["Pane", "Focaccia"], close_at=clock.now() + timedelta(days=2))
    scheduled = create_poll(meta, ask, clock.now())
    running = create_poll(meta, ask, clock.now())
    open_poll(get_store(), running, 4, clock.now())
    base = f"/l/{community.community_id}/polls"
    csrf = browser.csrf(f"/l/{community.community_id}")

    cancelled = browser.post(f"{base}/{scheduled.poll_id}/cancel", {"csrf": csrf})
    closed = browser.post(f"{base}/{running.poll_id}/close", {"csrf": csrf})

    assert cancelled["statusCode"] == 303 and get_poll(get_store(), community.community_id, scheduled.poll_id) is None
    assert closed["statusCode"] == 303
    assert get_poll(get_store(), community.community_id, running.poll_id).close_at == clock.now()
    assert get_store().get_job("poll", running.poll_id).due == clock.now()
    assert "Chiuso" in browser.get(f"{base}/{running.poll_id}")["body"]


def test_a_waiting_post_is_dismissed_from_the_home_page(community, ingest, clock, outbox):
    from cerchia.store import get_store
    from cerchia.store import nudges as nudge_store

    ingest(community, event("member_joined"))
    ingest(community, event("post_created"))
    clock.current = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    browser = signed_in(community, outbox)
    home = f"/l/{community.community_id}"
    before = browser.get(home)["body"]

    dismissed = browser.post(f"{home}/posts/p_301/dismiss", {"csrf": browser.csrf(home)})
    after = browser.get(home)["body"]

    assert "Come conservate il lievito madre d&#39;estate?" in before and "Non serve una risposta" in before
    assert dismissed["statusCode"] == 303 and dismissed["headers"]["Location"] == home
    assert nudge_store.get_post(get_store(), community.community_id, "p_301")["nudge_stage"] == "dismissed"
    assert "quel post non ha bisogno di risposta" in after and "lievito madre d&#39;estate" not in after


def test_a_rotated_webhook_secret_is_shown_once_and_the_old_one_works_for_24_hours(community, ingest, clock, outbox):
    from dataclasses import replace

    browser = signed_in(community, outbox)
    settings = f"/l/{community.community_id}/settings"

    rotated = browser.post(f"{settings}/webhook-secret", {"csrf": browser.csrf(settings)})
    first = browser.get(settings)["body"]
    second = browser.get(settings)["body"]
    new_secret = first.split('<p class="secret">', 1)[1].split("<", 1)[0]
    old_works = ingest(community, event("member_joined", member_id="u_1"))
    new_works = ingest(replace(community, webhook_secret=new_secret), event("member_joined", member_id="u_2"))
    clock.advance(hours=24, seconds=1)
    old_late = ingest(community, event("member_joined", member_id="u_3"))

    assert rotated["statusCode"] == 303 and rotated["headers"]["Location"] == settings
    assert new_secret.startswith("whsec_") and new_secret != community.webhook_secret
    assert new_secret not in second
    assert old_works["statusCode"] == 202 and new_works["statusCode"] == 202
    assert old_late["statusCode"] == 401


def test_settings_refuse_what_cerchia_community_configure_refuses(community, clock, outbox):
    browser = signed_in(community, outbox)
    settings = f"/l/{community.community_id}/settings"
    form = _settings_form(browser, settings)

    browser.post(settings, {**form, "timezone": "Mars/Olympus", "unanswered_after_hours": "500"})
    page = browser.get(settings)["body"]

    assert "Scrivi un fuso orario IANA come Europe/Rome." in page
    assert 'value="Mars/Olympus"' in page
    from cerchia.store import get_store

    assert get_store().get_community(community.community_id).timezone == "Europe/Rome"


def test_each_poll_results_email_to_a_leader_carries_a_fresh_single_use_console_link(community, clock, outbox):
    kind = "poll-results"
    from cerchia.domain.polls import NewPoll
    from cerchia.polls import compose_poll_email, create_poll
    from cerchia.store import get_store

    store = get_store()
    meta = store.get_community(community.community_id)
    founder = store.get_member(community.community_id, "founder")
    poll = create_poll(
        meta, NewPoll(question="Pane?", options=["Sì", "No"], close_at=clock.now() + timedelta(days=1)), clock.now()
    )

    first = compose_poll_email(kind, meta, poll, founder, clock.now())
    second = compose_poll_email(kind, meta, poll, founder, clock.now())
    [link] = [line.split(": ", 1)[1] for line in first.text.splitlines() if line.startswith("Apri la tua console")]
    [other] = [line.split(": ", 1)[1] for line in second.text.splitlines() if line.startswith("Apri la tua console")]
    browser = ConsoleBrowser()

    assert link != other and "/l/open/" in link and f'href="{link}"' in first.html
    assert browser.post(link)["statusCode"] == 303
    assert ConsoleBrowser().post(link)["statusCode"] == 403


def _console_link(message) -> str:
    [line] = [line for line in text_part(message).splitlines() if line.startswith("Apri la tua console")]
    return line.rsplit(": ", 1)[1]


def test_the_nudge_and_the_health_report_each_carry_a_console_link_that_opens_a_session_once(
    community, ingest, clock, outbox, monkeypatch
):
    from digests_support import MONDAY_AFTER, body, start_sweeper
    from nudges_support import Sweeper

    for number in range(3):
        at = datetime(2026, 11, 23, 8, 5 + number, tzinfo=UTC)
        clock.current = at
        ingest(
            community,
            body("member_joined", at, member_id=f"m{number}", email=f"m{number}@example.com", name=f"M{number}"),
        )
    posted = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    ingest(
        community,
        body("post_created", posted, post_id="p_9", author_id="m0", title="Biga o poolish?", url="https://f.example/9"),
    )
    clock.current = posted + timedelta(hours=24, minutes=1)
    Sweeper()()
    start_sweeper(clock, monkeypatch).until(MONDAY_AFTER + timedelta(hours=9))

    mails = {message["X-Cerchia-Kind"]: message for message in outbox() if FOUNDER in str(message["To"])}
    links = {kind: _console_link(mails[kind]) for kind in ("nudge", "leader-digest")}

    assert links["nudge"] != links["leader-digest"]
    for link in links.values():
        assert link.startswith("https://cerchia.example/l/open/")
        assert ConsoleBrowser().post(link)["statusCode"] == 303
        assert ConsoleBrowser().post(link)["statusCode"] == 403


def test_a_busy_table_gets_a_503_page_that_says_to_try_again(community, clock, outbox, monkeypatch):
    from botocore.exceptions import ClientError

    from cerchia.store import get_store

    browser = signed_in(community, outbox)

    def throttled(**request):
        raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException"}}, "GetItem")

    monkeypatch.setattr(get_store().client, "get_item", throttled)
    answer = browser.get(f"/l/{community.community_id}")

    assert answer["statusCode"] == 503 and "Wait a few seconds and try again." in answer["body"]


def test_an_address_leading_two_communities_gets_one_email_for_each(community, clock, outbox):
    from cerchia.communities import create_community

    second = create_community(
        name="Forno di quartiere", timezone="Europe/Rome", locale="it", leader_email=FOUNDER, leader_name="Marco"
    )

    ConsoleBrowser().post("/l/sign-in", {"email": FOUNDER})
    opened = [ConsoleBrowser().post(open_links(message)[0]) for message in sign_in_emails(outbox)]

    assert sorted(answer["headers"]["Location"] for answer in opened) == sorted(
        [f"/l/{community.community_id}", f"/l/{second.community_id}"]
    )
