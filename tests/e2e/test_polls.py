"""Issue 4's promises, tried against `cerchia serve`: the leader API, the poll email, the vote pages, the results.

One stack serves the whole module (virtual time only moves forward, so each test makes its own poll).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from cerchia_infra.local.process import start_serve_subprocess, stop_serve_subprocess
from support import ROOT, event

pytestmark = pytest.mark.e2e

MEMBERS = [
    ("u_1042", "Giulia Rossi", "giulia.rossi@example.com", "it"),
    ("u_2001", "Sam Lee", "sam.lee@example.com", "en"),
    ("u_2002", "Priya Nair", "priya.nair@example.com", "en"),
]
LEADER = "marco.bianchi@example.com"
VOTE_LINK = re.compile(r'href="(http://127\.0\.0\.1:\d+/v/[A-Za-z0-9._\-]+)"')
SCREENSHOT = ROOT / "test-artifacts" / "polls-vote.png"
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from cerchia_infra.client import StackClient

    state = tmp_path_factory.mktemp("polls") / "state"
    process, base_url = start_serve_subprocess(state, timeout=90)
    stack = StackClient(base_url, state)
    try:
        community = stack.create_community(
            name="Lievito & Co.", timezone="Europe/Rome", locale="it", leader_email=LEADER, leader_name="Marco Bianchi"
        )
        for member_id, name, address, locale in MEMBERS:
            joined = event("member_joined", member_id=member_id, name=name, email=address, locale=locale)
            assert stack.send(community, joined).status_code == 202
        stack.settle()
        yield {"stack": stack, "community": community}
    finally:
        stop_serve_subprocess(process)


def _create(stack: Any, community: dict[str, Any], key: str | None = None, **changes: Any) -> Any:
    now = stack.now()
    body = {
        "question": "Quale giorno preferite per il laboratorio di lievito madre?",
        "options": ["Sabato mattina", "Sabato pomeriggio", "Domenica mattina"],
        "kind": "single",
        "send_at": (now + timedelta(minutes=5)).isoformat(),
        "close_at": (now + timedelta(hours=2)).isoformat(),
        "anonymous": False,
    } | changes
    return stack.post(
        f"/v1/communities/{community['community_id']}/polls",
        json=body,
        headers={"Authorization": f"Bearer {key or community['api_key']}"},
    )


def _read(stack: Any, community: dict[str, Any], poll_id: str) -> dict[str, Any]:
    answer = stack.get(
        f"/v1/communities/{community['community_id']}/polls/{poll_id}",
        headers={"Authorization": f"Bearer {community['api_key']}"},
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _emails(stack: Any, kind: str, question: str) -> list[dict[str, Any]]:
    # subjects cut long questions (60 characters at most): the text part has the whole question
    return [mail for mail in stack.outbox() if mail["kind"] == kind and question in mail["text"]]


def _links(mail: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for link in VOTE_LINK.findall(mail["html"]):
        if link not in found:
            found.append(link)
    return found


def test_leader_api_answers_201_401_and_400_and_serves_its_openapi(world):
    stack, community = world["stack"], world["community"]

    created = _create(stack, community, question="Pane o focaccia per la festa?", options=["Pane", "Focaccia"])
    wrong_key = _create(stack, community, key="ck_wrong")
    one_option = _create(stack, community, options=["Solo questa"])
    document = stack.get("/v1/openapi.json")

    assert created.status_code == 201 and created.json()["poll_id"].startswith("p_")
    assert wrong_key.status_code == 401 and "Bearer" in wrong_key.json()["error"]
    assert one_option.status_code == 400 and list(one_option.json()["fields"]) == ["options"]
    assert document.status_code == 200
    assert set(document.json()["paths"]) == {
        "/v1/communities/{community_id}/events",
        "/v1/communities/{community_id}/discourse",
        "/v1/communities/{community_id}/members:import",
        "/v1/communities/{community_id}/members/{member_id}",
        "/v1/communities/{community_id}/polls",
        "/v1/communities/{community_id}/polls/{poll_id}",
        "/v1/openapi.json",
    }


def test_cerchia_poll_create_schedules_a_poll_like_the_api(world):
    stack, community = world["stack"], world["community"]
    # sent in an hour: the stack runs due work as soon as it is due, so a poll sent now may be open already
    send_at = (stack.now() + timedelta(hours=1)).isoformat()
    close_at = (stack.now() + timedelta(days=2)).isoformat()
    command = [
        sys.executable,
        "-m",
        "cerchia_infra.cli",
        "poll", "create", "--state-dir", str(stack.state_dir), "--community-id", community["community_id"],
        "--question", "Vi va una gita al mulino?", "--option", "Sì", "--option", "No", "--kind", "single",
        "--send-at", send_at, "--close-at", close_at, "--anonymous",
    ]  # fmt: skip

    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
    refused = subprocess.run(
        [*command[:-3], "--close-at", "domani", "--anonymous"], capture_output=True, text=True, check=False, timeout=120
    )

    assert done.returncode == 0, done.stderr
    poll_id = json.loads(done.stdout)["poll_id"]
    read = _read(stack, community, poll_id)
    assert (read["question"], read["anonymous"], read["status"]) == ("Vi va una gita al mulino?", True, "scheduled")
    assert refused.returncode == 2 and "--close-at" in refused.stderr


def test_a_poll_from_its_email_to_its_results(world):
    stack, community = world["stack"], world["community"]
    question = "Quale giorno preferite per il laboratorio di lievito madre?"
    poll_id = _create(stack, community).json()["poll_id"]

    stack.advance(4 * 60)
    assert _emails(stack, "poll", question) == []
    stack.advance(120)  # the due sweep runs each minute: at most a minute after send_at
    emails = _emails(stack, "poll", question)
    # not the leader: they asked, and they get the results instead
    assert sorted(mail["to"] for mail in emails) == sorted(address for _, _, address, _ in MEMBERS)

    [sam] = [mail for mail in emails if "sam.lee@example.com" in mail["to"]]
    links = _links(sam)
    page = stack.get(links[1])
    assert len(links) == 3
    assert page.status_code == 200 and '<form method="post" action="">' in page.text
    assert 'value="1" checked' in page.text
    assert _read(stack, community, poll_id)["ballots"] == 0

    submitted = stack.post(links[1], data={"choice": "1"})
    assert submitted.status_code == 200 and "Thank you, Sam!" in submitted.text
    read = _read(stack, community, poll_id)
    assert (read["ballots"], [option["votes"] for option in read["options"]]) == (1, [0, 1, 0])

    payload, signature = links[0].rsplit(".", 1)
    tampered = stack.get(payload + "x." + signature)
    assert tampered.status_code == 403 and "link" in tampered.text.lower()

    stack.advance(2 * 3600)
    [results] = [mail for mail in _emails(stack, "poll-results", question) if LEADER in mail["to"]]
    assert "Ha risposto 1 persona su 4 (25%)." in results["html"]
    assert 'width="100%"' in results["html"]
    closed = stack.get(links[0])
    assert closed.status_code == 200 and "This poll is closed" in closed.text
    assert _read(stack, community, poll_id)["status"] == "closed"


@pytest.mark.browser
def test_a_member_answers_from_the_email_in_a_phone_browser(world):
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium; run `make browser` to install it.")
    from playwright.sync_api import sync_playwright

    stack, community = world["stack"], world["community"]
    question = "Which bread should we bake together next month?"
    _create(
        stack,
        community,
        question=question,
        options=["Pane di Altamura", "Focaccia genovese", "Ciabatta"],
        send_at=stack.now().isoformat(),
        close_at=(stack.now() + timedelta(days=3)).isoformat(),
    )
    stack.advance(60)
    [priya] = [mail for mail in _emails(stack, "poll", question) if "priya.nair@example.com" in mail["to"]]
    focaccia = _links(priya)[1]

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
            page.goto(focaccia)
            assert page.get_by_label("Focaccia genovese").is_checked()
            assert not page.get_by_label("Ciabatta").is_checked()
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOT.with_name("polls-vote-form.png")), full_page=True)
            page.get_by_role("button", name="Send my answer").click()
            page.wait_for_load_state()
            assert page.get_by_role("heading", name="Thank you, Priya!").is_visible()
            assert "Your answer is in: Focaccia genovese." in page.content()
            page.screenshot(path=str(SCREENSHOT), full_page=True)
        finally:
            browser.close()
    assert SCREENSHOT.stat().st_size > 0


def test_the_demo_chapter_plays_through_the_real_pages(world):
    from cerchia_infra.client import StackClient
    from cerchia_infra.demo import chapter_polls

    stack = world["stack"]

    class Demo(StackClient):
        def __init__(self) -> None:
            super().__init__(stack.url, stack.state_dir)
            self.communities = {"it": world["community"]}
            self.members = {
                "it": [
                    {"member_id": member_id, "email": address, "name": name, "locale": locale}
                    for member_id, name, address, locale in MEMBERS
                ]
            }
            self.notes: list[str] = []

        def note(self, text: str) -> None:
            self.notes.append(text)

    demo = Demo()
    chapter_polls.play(demo)

    assert any("3 poll emails went out" in note for note in demo.notes), demo.notes  # all but the leader who asked
    assert any("Sam Lee changed their answer to Tipo 1" in note for note in demo.notes), demo.notes
    assert any("counts 3 ballots of 4 members: Tipo 0 0, Tipo 1 3, Integrale 0" in note for note in demo.notes), (
        demo.notes
    )
    assert any("had not answered yet (0)" in note for note in demo.notes), demo.notes  # the leader asked it
    assert any("4 results emails" in note and "75% took part" in note for note in demo.notes), demo.notes
