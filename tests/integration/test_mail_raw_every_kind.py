"""Every kind of member email, read from the raw bytes SES received, as a client that does not decode reads it.

One scripted week (tests/scripted_week.py) through the real handlers produces a welcome, a nudge, a
newcomer email, a poll, its reminder and its results, digests and the leader report.
"""

from __future__ import annotations

from collections import defaultdict

import pytest
from raw_mail import MEMBER_KINDS, addr_spec, assert_client_readable, decoded_display_name, field, fields, unfolded
from scripted_week import LEADER_EMAIL, kind_of, play, raw_sent

LEADER_VOICE = ("welcome", "newcomer", "poll", "poll-reminder")


@pytest.fixture
def week_mail(community, ingest, welcome, clock, monkeypatch):
    week = play(community, ingest, welcome, clock, monkeypatch)
    by_kind: dict[str, list[bytes]] = defaultdict(list)
    for raw in raw_sent():
        by_kind[kind_of(raw)].append(raw)
    return week, by_kind


def test_every_kind_of_member_email_has_raw_list_headers_lines_within_998_octets_and_its_kind(week_mail):
    _, by_kind = week_mail

    assert set(by_kind) == set(MEMBER_KINDS)
    for kind in MEMBER_KINDS:
        for raw in by_kind[kind]:
            assert_client_readable(raw)
            assert unfolded(field(raw, "X-Cerchia-Kind")) == kind.encode()


def test_each_kind_comes_from_the_community_or_its_leader_with_reply_to_and_list_id_as_it_should(week_mail):
    week, by_kind = week_mail

    list_id = f'List-Id: "Lievito & Co." <{week.community_id}.cerchia.example>'.encode()
    for kind in LEADER_VOICE:  # in the leader's voice: from Marco of the community, replies reach Marco
        for raw in by_kind[kind]:
            assert decoded_display_name(field(raw, "From")) == "Marco · Lievito & Co.", kind
            assert addr_spec(field(raw, "From")) == "hello@cerchia.example"
            assert addr_spec(field(raw, "Reply-To")) == LEADER_EMAIL, kind
            assert decoded_display_name(field(raw, "Reply-To")) == "Marco Bianchi"
    for kind in ("nudge", "poll-results", "digest", "leader-digest"):  # reports: the community, no Reply-To
        for raw in by_kind[kind]:
            assert field(raw, "From") == [b'From: "Lievito & Co." <hello@cerchia.example>'], kind
            assert b"reply-to" not in [name for name, _ in fields(raw)], kind
    for kind in MEMBER_KINDS:
        for raw in by_kind[kind]:
            assert field(raw, "List-Id") == [list_id], kind
