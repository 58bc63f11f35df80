"""Issue 6's promises, tried against `cerchia serve`: one-click unsubscribe, SES bounces, the preference page.

One stack serves the whole module (starting one takes seconds); every test makes its own communities.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from cerchia_infra.client import StackClient
from cerchia_infra.local.process import start_serve_subprocess, stop_serve_subprocess
from preferences_support import checked, metric_total, ses_event
from support import ROOT, event

pytestmark = pytest.mark.e2e

FORM = {"content-type": "application/x-www-form-urlencoded"}
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackClient]:
    state = tmp_path_factory.mktemp("preferences") / "state"
    process, base_url = start_serve_subprocess(state, timeout=90)
    try:
        yield StackClient(base_url, state)
    finally:
        stop_serve_subprocess(process)


def _join(stack, community, member_id, email, name, locale="en"):
    answer = stack.send(
        community,
        event(
            "member_joined", member_id=member_id, email=email, name=name, locale=locale, timezone=community["timezone"]
        ),
    )
    assert answer.status_code == 202, answer.text


def _mails(stack, address, kind=None):
    return [m for m in stack.outbox() if address in m["to"] and (kind is None or m["kind"] == kind)]


def _preferences_url(mail):
    match = re.search(r"https?://\S+/p/[A-Za-z0-9_.\-]+", mail["text"])
    assert match, "no preference link in the email's footer"
    return match.group(0)


def _poll(stack, community, question):
    now = stack.now()
    answer = stack.post(
        f"/v1/communities/{community['community_id']}/polls",
        json={
            "question": question,
            "options": ["Saturday morning", "Sunday morning"],
            "kind": "single",
            "send_at": (now + timedelta(minutes=2)).isoformat(),
            "close_at": (now + timedelta(days=3)).isoformat(),
            "anonymous": False,
        },
        headers={"authorization": f"Bearer {community['api_key']}"},
    )
    assert answer.status_code == 201, answer.text
    stack.advance(5 * 60)


def _serve_log(stack, until, timeout=10.0):
    """serve.log once `until(text)` holds: the child's output reaches the file through a pipe, a moment later."""
    path = Path(stack.state_dir) / "serve.log"
    deadline = time.monotonic() + timeout
    while True:
        text = path.read_text(encoding="utf-8")
        if until(text) or time.monotonic() > deadline:
            return text
        time.sleep(0.05)  # waiting for I/O, not for business time (that is the virtual clock's job)


def test_get_on_the_unsubscribe_link_changes_nothing_and_one_click_stops_every_email(stack):
    trail = stack.create_community(
        name="Trail Runners", timezone="Europe/London", locale="en", leader_email="sam.lee@example.com"
    )
    _join(stack, trail, "r_ana", "ana.runner@example.com", "Ana Runner")
    _join(stack, trail, "r_ben", "ben.runner@example.com", "Ben Runner")
    stack.settle()
    [welcome] = _mails(stack, "ana.runner@example.com", "welcome")
    link = welcome["headers"]["List-Unsubscribe"].strip("<>")
    preferences = _preferences_url(welcome)

    shown = stack.get(link)
    still_subscribed = checked(stack.get(preferences).text, "emails")
    one_click = stack.post(link, data="List-Unsubscribe=One-Click", headers=FORM, allow_redirects=False)
    _poll(stack, trail, "Which long run should we do together?")

    assert shown.status_code == 200 and '<form method="post"' in shown.text
    assert still_subscribed == "on"
    assert 200 <= one_click.status_code < 300
    assert "location" not in {k.lower() for k in one_click.headers} and not one_click.cookies
    assert checked(stack.get(preferences).text, "emails") == "off"
    assert len(_mails(stack, "ben.runner@example.com", "poll")) == 1  # the poll did go out
    assert [m["kind"] for m in _mails(stack, "ana.runner@example.com")] == ["welcome"]


def test_a_hard_bounce_suppresses_the_address_in_every_community(stack):
    lievito = stack.create_community(
        name="Lievito & Co.", timezone="Europe/Rome", locale="it", leader_email="marco.bianchi@example.com"
    )
    running = stack.create_community(
        name="Corsa Roma", timezone="Europe/Rome", locale="it", leader_email="paola.verdi@example.com"
    )
    _join(stack, lievito, "u_1042", "giulia.rossi@example.com", "Giulia Rossi", "it")
    _join(stack, lievito, "u_1043", "luca.neri@example.com", "Luca Neri", "it")
    stack.settle()
    assert len(_mails(stack, "giulia.rossi@example.com", "welcome")) == 1

    recorded = stack.invoke("RecordSesFeedbackFunction", ses_event("ses_bounce_permanent"))
    _join(stack, running, "c_77", "Giulia.Rossi@example.com", "Giulia Rossi", "it")
    stack.settle()
    _poll(stack, lievito, "Quale farina proviamo questo mese?")

    assert recorded == {"Bounces": 1, "HardBounces": 1, "AddressesSuppressed": 1}
    assert [m["kind"] for m in _mails(stack, "giulia.rossi@example.com")] == ["welcome"]
    assert [m["kind"] for m in _mails(stack, "Giulia.Rossi@example.com")] == []
    assert len(_mails(stack, "luca.neri@example.com", "poll")) == 1  # the poll went out to the others

    def counted(text):
        return (
            metric_total(text, "EmailsSuppressed", kind="welcome") >= 1
            and metric_total(text, "EmailsSuppressed", kind="poll") >= 1
        )

    log = _serve_log(stack, counted)
    assert metric_total(log, "EmailsSuppressed", kind="welcome", stage="local") == 1
    assert metric_total(log, "EmailsSuppressed", kind="poll", stage="local") == 1


@pytest.mark.browser
def test_in_a_real_browser_digest_off_and_italian_are_saved_and_kept(stack):
    from playwright.sync_api import expect, sync_playwright

    trail = stack.create_community(
        name="Trail Runners <Peak District>", timezone="Europe/London", locale="en", leader_email="kim@example.com"
    )
    _join(stack, trail, "r_cleo", "cleo.hill@example.com", "Cleo Hill")
    stack.settle()
    [welcome] = _mails(stack, "cleo.hill@example.com", "welcome")
    url = _preferences_url(welcome)
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844}, locale="en-GB")
            page.goto(url)
            expect(page.get_by_role("heading", level=1)).to_have_text("Your emails from Trail Runners <Peak District>")
            expect(page.get_by_label("Every week")).to_be_checked()

            page.get_by_label("No digest").check()
            page.get_by_label("Italiano").check()
            page.get_by_role("button", name="Save my choices").click()
            expect(page.get_by_role("status")).to_have_text("Fatto! Le tue scelte valgono dalla prossima email.")

            page.goto(url)  # reload the page: a fresh GET
            expect(page.get_by_label("Nessun riepilogo")).to_be_checked()
            expect(page.get_by_label("Italiano")).to_be_checked()
            expect(page.get_by_label("Sì, mandami i sondaggi")).to_be_checked()
            expect(page.get_by_role("heading", level=1)).to_have_text("Le tue email da Trail Runners <Peak District>")
            assert page.evaluate("document.cookie") == ""
            page.screenshot(path=str(artifacts / "preferences.png"), full_page=True)
        finally:
            browser.close()


def test_the_demo_chapter_plays_a_preference_change_a_one_click_and_a_bounce(stack):
    from cerchia_infra.demo import chapter_preferences, chapter_welcome, seed
    from cerchia_infra.demo.scenario import Demo

    demo = Demo(stack.url, stack.state_dir)
    for key, settings in seed.COMMUNITIES.items():
        demo.communities[key] = demo.create_community(**settings)
        demo.members[key] = list(seed.MEMBERS[key])
    chapter_welcome.play(demo)

    chapter_preferences.play(demo)

    notes = "\n".join(demo.notes)
    assert "switched to a digest every two weeks" in notes
    assert "one-click" in notes and "200, no redirect" in notes
    assert "1 address suppressed" in notes
    assert "@" not in notes
