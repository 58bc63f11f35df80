"""Issue 2's promises, tried against `cerchia serve` the way a new user would."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from support import event


@pytest.fixture
def community(stack):
    return stack.create_community(
        name="Lievito & Co.",
        timezone="Europe/Rome",
        locale="it",
        leader_email="marco.bianchi@example.com",
        leader_name="Marco Bianchi",
        purpose="Panificatori di casa che si scambiano ricette e consigli.",
    )


def _welcomes(stack, address):
    return [mail for mail in stack.outbox() if mail["kind"] == "welcome" and address in mail["to"]]


def test_same_join_delivered_three_times_then_under_a_new_id_gives_one_welcome(stack, community):
    joined = event("member_joined")
    answers = [stack.send(community, joined, webhook_id="msg_join_1").status_code for _ in range(3)]
    answers.append(stack.send(community, joined, webhook_id="msg_join_2").status_code)
    stack.settle()

    assert answers == [202, 200, 200, 202]
    [welcome] = _welcomes(stack, "giulia.rossi@example.com")
    assert welcome["subject"] == "Ti diamo il benvenuto in Lievito & Co., Giulia!"
    assert welcome["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_signatures_that_do_not_hold_are_401(stack, community):
    other = stack.create_community(name="Other", timezone="UTC", locale="en", leader_email="o@example.com")
    joined = event("member_joined")

    foreign = stack.send(community, joined, secret=other["webhook_secret"])
    stale = stack.send(community, joined, sent_at=datetime.now(UTC) - timedelta(minutes=10))
    raw = json.dumps(joined).encode()
    garbage = stack.post(
        f"/v1/communities/{community['community_id']}/events",
        data=raw,
        headers={
            "webhook-id": "msg_x",
            "webhook-timestamp": str(int(datetime.now(UTC).timestamp())),
            "webhook-signature": "v1,###garbage###",
            "content-type": "application/json",
        },
    )
    unknown = stack.send({**community, "community_id": "c_nope"}, joined)

    assert [foreign.status_code, stale.status_code, garbage.status_code, unknown.status_code] == [401] * 4


def test_bad_bodies_get_clear_answers(stack, community):
    invalid_email = stack.send(community, event("member_joined", email="giulia-at-example"))
    truncated = stack.send(community, json.dumps(event("member_joined")).encode()[:-9])
    unknown_type = stack.send(community, event("unknown_type"))
    too_big = stack.send(community, event("post_created", body="x" * (256 * 1024 + 1)))

    assert invalid_email.status_code == 400 and "data.email" in invalid_email.json()["fields"]
    assert truncated.status_code == 400 and "not valid JSON" in truncated.json()["error"]
    assert (unknown_type.status_code, unknown_type.json()["status"]) == (200, "ignored")
    assert too_big.status_code == 413


def test_script_in_a_name_arrives_escaped_and_leaders_get_no_welcome(stack, community):
    stack.send(community, event("member_joined", name="<script>alert('x')</script> Eve", locale="en"))
    stack.send(community, event("member_joined_leader", member_id="u_9", email="anna.leader@example.com"))
    stack.settle()

    [welcome] = _welcomes(stack, "giulia.rossi@example.com")
    assert "<script>" not in welcome["html"]
    assert "&lt;script&gt;" in welcome["html"]
    assert _welcomes(stack, "anna.leader@example.com") == []


def test_welcomes_land_in_the_outbox_folder_and_the_unsubscribe_link_works(stack, community):
    stack.send(community, event("member_joined"))
    stack.settle()
    [welcome] = _welcomes(stack, "giulia.rossi@example.com")
    link = welcome["headers"]["List-Unsubscribe"].strip("<>")

    page = stack.get(link)
    one_click = stack.post(
        link,
        data="List-Unsubscribe=One-Click",
        headers={"content-type": "application/x-www-form-urlencoded"},
        allow_redirects=False,
    )

    assert page.status_code == 200 and "<form" in page.text
    assert one_click.status_code == 200
    outbox = stack.state_dir / "outbox"
    assert len(list(outbox.glob("*.eml"))) == 1
    assert "Ti diamo il benvenuto in Lievito &amp; Co." in (outbox / "index.html").read_text()


def test_community_configure_changes_settings_and_names_bad_ones(stack, community):
    import subprocess
    import sys

    base = [sys.executable, "-m", "cerchia_infra.cli", "community", "configure", "--state-dir", str(stack.state_dir),
            "--community-id", community["community_id"]]  # fmt: skip

    done = subprocess.run([*base, "--set", "unanswered_after_hours=12", "--set", "digest_hour=8"],
                          capture_output=True, text=True, check=False, timeout=120)  # fmt: skip
    refused = subprocess.run([*base, "--set", "quiet_start_hour=25"], capture_output=True, text=True, check=False,
                             timeout=120)  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert (json.loads(done.stdout)["unanswered_after_hours"], json.loads(done.stdout)["digest_hour"]) == (12, 8)
    assert refused.returncode == 2 and "quiet_start_hour" in refused.stderr
