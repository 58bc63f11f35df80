"""Issue 12's promises against `cerchia serve`: Discourse-shaped signed deliveries, and a member import."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from datetime import timedelta
from typing import Any

from discourse_support import discourse_headers, payload

HOUR = 3600


def daytime_zone(now: Any) -> str:
    """A fixed-offset zone where `now` is mid-morning, so no leader quiet hours fall in the next day."""
    offset = (10 - now.hour) % 24
    if offset > 14:
        offset -= 24
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"


def deliver(
    stack: Any, community: dict[str, Any], event_name: str, body: dict[str, Any], secret: str | None = None
) -> Any:
    raw = json.dumps(body).encode()
    headers = discourse_headers(secret or community["webhook_secret"], event_name, raw)
    return stack.post(f"/v1/communities/{community['community_id']}/discourse", data=raw, headers=headers)


def cli(stack: Any, *arguments: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "cerchia_infra.cli", *arguments]
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=600)
    assert done.returncode == 0, done.stderr
    return done


def mails(stack: Any, kind: str, address: str | None = None) -> list[dict[str, Any]]:
    return [m for m in stack.outbox() if m["kind"] == kind and (address is None or address in str(m["to"]))]


def test_discourse_user_is_welcomed_once_a_lonely_topic_nudges_the_leader_and_noise_is_ignored(stack):
    community = stack.create_community(
        name="Lievito & Co.", timezone=daytime_zone(stack.now()), locale="en", leader_email="marco.bianchi@example.com"
    )
    connected = cli(
        stack, "community", "connect-discourse", "--state-dir", str(stack.state_dir),
        "--community-id", community["community_id"], "--instance-url", "https://forum.lievito.example",
    )  # fmt: skip
    assert f"{stack.url}/v1/communities/{community['community_id']}/discourse" in connected.stdout
    assert community["webhook_secret"] in connected.stdout and "post_liked" in connected.stdout

    first = deliver(stack, community, "user_created", payload("user_created"))
    retry = deliver(stack, community, "user_created", payload("user_created"))  # a new X-Discourse-Event-Id
    stack.settle()
    assert (first.status_code, retry.status_code, retry.json()["status"]) == (202, 200, "duplicate")
    [welcome] = mails(stack, "welcome")
    assert "giulia.rossi@example.com" in str(welcome["to"])

    now = stack.now()
    lonely, answered = payload("post_created_topic"), payload("post_created_topic")
    lonely["post"]["created_at"] = now.isoformat().replace("+00:00", "Z")
    answered["post"] |= {"id": 1310, "topic_id": 310, "topic_slug": "forno", "topic_title": "Quale forno?"}
    answered["post"]["created_at"] = lonely["post"]["created_at"]
    reply = payload("post_created_reply")
    reply["post"] |= {"id": 1311, "topic_id": 310, "created_at": (now + timedelta(hours=1)).isoformat()}
    for event_name, body in (("post_created", lonely), ("post_created", answered), ("post_created", reply)):
        assert deliver(stack, community, event_name, body).status_code == 202
    noise = [
        deliver(stack, community, "post_created", payload("post_created_pm")),
        deliver(stack, community, "post_created", payload("post_created_whisper")),
        deliver(stack, community, "ping", payload("ping")),
    ]
    assert [(r.status_code, r.json()["status"]) for r in noise] == [(200, "ignored")] * 3
    forged = deliver(stack, community, "post_created", payload("post_created_reply"), secret="whsec_forged")
    assert forged.status_code == 401

    stack.advance(24 * HOUR + 20 * 60)
    [nudge] = mails(stack, "nudge", "marco.bianchi@example.com")
    assert "Lievito madre che non cresce" in nudge["text"]
    assert "Quale forno?" not in nudge["text"] and "Ciao Marco" not in nudge["text"]
    assert len(mails(stack, "welcome")) == 1


DISCOURSE_HEADER = (
    "id,name,username,email,title,created_at,last_seen_at,last_posted_at,last_emailed_at,trust_level,approved,"
    "suspended_at,suspended_till,silenced_till,active,admin,moderator,ip_address,staged,secondary_emails,"
    "topics_entered,posts_read_count,time_read,topic_count,post_count,likes_given,likes_received,location,website,"
    "views,group_names"
)


def _export_line(
    user_id: int, active: str = "true", staged: str = "false", suspended_till: str = "", email: str = ""
) -> str:
    email = email or f"member{user_id}@example.com"
    return (
        f"{user_id},Member {user_id},member{user_id},{email},,2025-03-02 10:11:12 UTC,2026-11-20 08:00:00 UTC,,,1,"
        f"true,,{suspended_till},,{active},false,false,10.0.0.1,{staged},,3,40,1200,1,5,2,3,Roma,,12,trust_level_0"
    )


def test_importing_a_500_row_discourse_export_sends_no_welcome_and_the_next_poll_reaches_everyone(stack, tmp_path):
    community = stack.create_community(
        name="Lievito & Co.", timezone="Europe/Rome", locale="en", leader_email="marco.bianchi@example.com"
    )
    lines = [_export_line(n) for n in range(100, 594)]  # 494 members to import
    lines += [_export_line(900, staged="true"), _export_line(901, staged="true"), _export_line(902, active="false")]
    lines += [_export_line(903, active="false"), _export_line(904, suspended_till="2099-01-01 00:00:00 UTC")]
    lines += [_export_line(905, email="not-an-address")]  # line 501
    export = tmp_path / "user-list-261123-091500-1.csv.gz"
    export.write_bytes(gzip.compress(("\n".join([DISCOURSE_HEADER, *lines]) + "\n").encode()))
    arguments = ("members", "import", "--state-dir", str(stack.state_dir), "--community-id", community["community_id"])

    first = json.loads(cli(stack, *arguments, str(export)).stdout)
    stack.settle()
    again = json.loads(cli(stack, *arguments, str(export)).stdout)
    stack.settle()

    assert (first["imported"], first["already_there"]) == (494, 0)
    assert first["skipped"] == {"staged": 2, "inactive": 2, "suspended": 1}
    assert [entry["line"] for entry in first["rejected"]] == [501]
    assert "email" in first["rejected"][0]["reason"]
    assert (again["imported"], again["already_there"]) == (0, 494)
    assert mails(stack, "welcome") == []

    close_at = (stack.now() + timedelta(days=3)).isoformat()
    cli(
        stack, "poll", "create", "--state-dir", str(stack.state_dir), "--community-id", community["community_id"],
        "--question", "Which flour for panettone?", "--option", "Manitoba", "--option", "Type 0", "--close-at", close_at,
    )  # fmt: skip
    stack.advance(120)
    reached = {str(m["to"]) for m in mails(stack, "poll")}
    imported = {f"member{n}@example.com" for n in range(100, 594)}
    assert all(any(address in to for to in reached) for address in imported)
    assert not any("member900@" in to or "member902@" in to or "member904@" in to for to in reached)
    assert mails(stack, "welcome") == [] and mails(stack, "newcomer") == []


def test_the_member_api_imports_shows_and_erases_over_http_through_the_colon_route(stack):
    community = stack.create_community(
        name="Lievito & Co.", timezone="Europe/Rome", locale="en", leader_email="marco.bianchi@example.com"
    )
    base = f"/v1/communities/{community['community_id']}/members"
    key = {"Authorization": f"Bearer {community['api_key']}"}
    row = {"member_id": "42", "email": "giulia.rossi@example.com", "name": "Giulia Rossi", "locale": "it"}

    imported = stack.post(f"{base}:import", json={"members": [row]}, headers=key)
    shown = stack.get(f"{base}/42", headers=key)
    refused = stack.get(f"{base}/42", headers={"Authorization": "Bearer ck_wrong"})
    erased = [stack.http.delete(f"{stack.url}{base}/42", headers=key, timeout=60).status_code for _ in range(2)]
    gone = stack.get(f"{base}/42", headers=key)
    stack.settle()

    assert (imported.status_code, imported.json()["imported"]) == (200, 1)
    assert shown.json()["profile"]["email"] == "giulia.rossi@example.com"
    assert refused.status_code == 401
    assert erased == [204, 204]
    assert gone.status_code == 404
    assert mails(stack, "welcome") == []


def test_the_import_command_with_a_stack_name_posts_batches_to_the_api(stack, tmp_path, monkeypatch):
    import argparse

    from cerchia_infra import cli_members

    community = stack.create_community(
        name="Lievito & Co.", timezone="Europe/Rome", locale="en", leader_email="marco.bianchi@example.com"
    )
    plain = tmp_path / "members.csv"
    plain.write_text("member_id,email,name,locale\n" + "".join(f"m_{n},m{n}@example.com,M {n},it\n" for n in range(3)))
    # --stack-name reaches the API at the stack's ApiUrl output; here that is the local stack's URL
    monkeypatch.setattr(cli_members, "api_url", lambda args: stack.url)
    monkeypatch.setattr(cli_members, "use_stack", lambda args: None)
    args = argparse.Namespace(
        state_dir=None, stack_name="cerchia-local", region=None, community_id=community["community_id"],
        api_key=community["api_key"], file=plain,
    )  # fmt: skip

    assert cli_members.run_members_import(args) == 0
    shown = stack.get(
        f"/v1/communities/{community['community_id']}/members/m_2",
        headers={"Authorization": f"Bearer {community['api_key']}"},
    )
    assert shown.json()["profile"]["locale"] == "it"
