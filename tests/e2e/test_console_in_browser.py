"""Issue 13's promises in a real browser against `cerchia serve`: the console from the emailed link to a tallied poll.

Debian's chromium at 390 px: sign in from the link read in the stack's outbox, dismiss a waiting post,
create a poll through the form (one field wrong first), see it sent at send_at and tallied after a
vote. Every console page is screenshotted to test-artifacts/console-*.png and checked with axe-core.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from support import ROOT, event

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
ARTIFACTS = ROOT / "test-artifacts"
LEADER = "kim.hale@example.com"
OPEN_LINK = re.compile(r"(http://127\.0\.0\.1:\d+/l/open/[A-Za-z0-9._\-]+)")
VOTE_LINK = re.compile(r'href="(http://127\.0\.0\.1:\d+/v/[A-Za-z0-9._\-]+)"')
QUESTION = "Which long run should we do together in January?"


def _serious(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    assert results.response["testEngine"]["name"] == "axe-core" and results.response["passes"] is not None
    return [
        f"{violation['id']}: {violation['help']}"
        for violation in results.response["violations"]
        if violation.get("impact") in ("serious", "critical")
    ]


def _shot(page, name: str, checked: dict[str, list[str]]) -> None:
    page.screenshot(path=str(ARTIFACTS / f"console-{name}.png"), full_page=True)
    checked[name] = _serious(page)


def test_a_leader_signs_in_from_the_email_dismisses_a_post_and_runs_a_poll_in_a_phone_browser(stack):
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium; run `make browser` to install it.")
    from playwright.sync_api import expect, sync_playwright

    community = stack.create_community(
        name="Trail Runners <Peak District>", timezone="Europe/London", locale="en", leader_email=LEADER,
        leader_name="Kim Hale",
    )  # fmt: skip
    cid = community["community_id"]
    for member_id, name in (("r_cleo", "Cleo Hill"), ("r_dev", "Dev Patel")):
        joined = event("member_joined", member_id=member_id, name=name, email=f"{member_id}@example.com", locale="en")
        assert stack.send(community, joined).status_code == 202
    posted = (stack.now() - timedelta(hours=3)).isoformat()
    post = event("post_created", post_id="t_77", author_id="r_cleo", title="Kinder Scout in the snow: which route?",
                 url="https://forum.example.com/t/77", created_at=posted)  # fmt: skip
    post["timestamp"] = posted
    assert stack.send(community, post).status_code == 202
    stack.settle()
    ARTIFACTS.mkdir(exist_ok=True)
    checked: dict[str, list[str]] = {}

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                    locale="en-GB")  # fmt: skip
            page.goto(f"{stack.url}/l/sign-in")
            _shot(page, "sign-in", checked)
            page.get_by_label("Your email address").fill(LEADER)
            page.get_by_role("button", name="Email me a link").click()
            expect(page.get_by_role("status")).to_have_text(
                "If this address leads a community, a link is on its way. It works once, for 30 minutes."
            )
            _shot(page, "sign-in-sent", checked)

            [mail] = [m for m in stack.outbox() if m["kind"] == "sign-in" and LEADER in m["to"]]
            [link] = OPEN_LINK.findall(mail["text"])
            page.goto(link)
            _shot(page, "open", checked)
            page.get_by_role("button", name="Sign in").click()
            expect(page).to_have_url(f"{stack.url}/l/{cid}")
            expect(page.get_by_role("heading", level=1)).to_have_text("Trail Runners <Peak District> this week")
            assert page.evaluate("document.cookie") == ""  # HttpOnly
            expect(page.get_by_role("link", name="Kinder Scout in the snow: which route?")).to_be_visible()
            _shot(page, "home", checked)

            page.get_by_role("button", name="No reply needed").click()
            expect(page.get_by_role("status")).to_contain_text("that post needs no reply")
            expect(page.get_by_text("Kinder Scout in the snow")).to_have_count(0)

            page.get_by_role("link", name="New poll").click()
            zone = ZoneInfo("Europe/London")
            send_at = (stack.now() + timedelta(minutes=20)).astimezone(zone).replace(second=0, microsecond=0)
            page.get_by_label("Question").fill(QUESTION)
            page.get_by_label("Options, one per line").fill("Edale skyline\nKinder Scout loop\nBleaklow")
            page.get_by_label("Send at").fill(send_at.strftime("%Y-%m-%dT%H:%M"))
            page.get_by_label("Close at").fill((send_at + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M"))
            page.get_by_role("button", name="Create the poll").click()
            expect(page.get_by_role("alert")).to_have_text("The poll wasn't created. Check the fields marked below.")
            expect(page.locator("#close_at-error")).to_have_text(
                "Choose a close time between one hour and 90 days after the send time."
            )
            expect(page.get_by_label("Question")).to_have_value(QUESTION)
            _shot(page, "poll-new", checked)
            page.get_by_label("Close at").fill((send_at + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"))
            page.get_by_role("button", name="Create the poll").click()
            expect(page.get_by_role("heading", level=1)).to_have_text(QUESTION)
            expect(page.get_by_text("Scheduled", exact=False).first).to_be_visible()
            _shot(page, "poll-scheduled", checked)
            poll_url = page.url

            stack.set_clock(send_at - timedelta(minutes=1))
            assert not [m for m in stack.outbox() if m["kind"] == "poll"]  # nothing before send_at
            stack.set_clock(send_at + timedelta(minutes=1))
            cleo = [m for m in stack.outbox() if m["kind"] == "poll" and "r_cleo@example.com" in m["to"]]
            assert len(cleo) == 1, [m["kind"] for m in stack.outbox()]
            voter = browser.new_page(viewport={"width": 390, "height": 844})
            voter.goto(VOTE_LINK.findall(cleo[0]["html"])[1])
            voter.get_by_role("button", name="Send my answer").click()
            expect(voter.get_by_role("heading", name="Thank you, Cleo!")).to_be_visible()

            page.goto(poll_url)
            expect(page.locator("p > strong").first).to_have_text("Open")
            expect(page.get_by_text("1 of 3 members answered (33%).")).to_be_visible()
            expect(page.get_by_text("1 vote · 100%")).to_be_visible()
            _shot(page, "poll-open", checked)

            page.get_by_role("link", name="Settings").click()
            _shot(page, "settings", checked)
            page.get_by_role("button", name="Make a new secret").click()
            expect(page.locator(".secret")).to_contain_text("whsec_")
            _shot(page, "settings-secret", checked)
            page.get_by_role("button", name="Sign out").click()
            expect(page).to_have_url(f"{stack.url}/l/sign-in")
            page.goto(link)  # the used link
            expect(page.get_by_role("heading", level=1)).to_have_text("This link doesn't work any more")
            _shot(page, "link-used", checked)
        finally:
            browser.close()

    assert checked == {name: [] for name in checked}, checked
    assert len(checked) == 10
