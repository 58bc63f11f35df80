"""Discourse deliveries mapped onto Cerchia's events (pure), and member import files read (pure)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from discourse_support import INSTANCE, payload

from cerchia.domain.discourse import map_delivery
from cerchia.domain.members import read_rows
from cerchia.domain.models import Member
from cerchia.domain.rules import deserves_welcome
from cerchia.errors import InvalidInput
from support import ROOT

NOW = datetime(2026, 11, 23, 9, 15, tzinfo=UTC)


def test_user_created_maps_to_member_joined_keyed_by_event_and_user_id():
    mapped = map_delivery("user_created", payload("user_created"), INSTANCE, NOW)

    assert mapped.event.type == "member.joined"
    assert mapped.event.data.model_dump() == {
        "member_id": "42",
        "email": "giulia.rossi@example.com",
        "name": "Giulia Rossi",
        "locale": "it",
        "timezone": None,
        "role": "member",
        "first_name": None,
    }
    assert mapped.natural_key == "user_created:42"


def test_a_user_without_a_name_is_called_by_username_and_an_unconfirmed_one_is_only_kept():
    mapped = map_delivery("user_created", payload("user_created_unconfirmed"), INSTANCE, NOW)

    assert (mapped.event.type, mapped.event.data.name) == ("member.updated", "piero_b")


def test_reply_maps_to_reply_created_on_its_topic_and_like_to_a_reaction_keyed_by_post_and_user():
    reply = map_delivery("post_created", payload("post_created_reply"), INSTANCE, NOW)
    like = map_delivery("post_liked", payload("post_liked"), INSTANCE, NOW)

    assert reply.event.data.model_dump(mode="json") == {
        "reply_id": "1302",
        "post_id": "301",
        "author_id": "51",
        "created_at": "2026-11-23T13:30:00Z",
    }
    assert (reply.natural_key, like.natural_key) == ("post_created:1302", "post_liked:1301:51")
    assert (like.event.type, like.event.data.post_id, like.event.data.member_id) == ("reaction.added", "301", "51")


def test_a_like_of_a_reply_and_a_deleted_reply_are_ignored():
    body = payload("post_liked")
    body["like"]["post"]["post_number"] = 2
    deleted_reply = map_delivery("post_destroyed", payload("post_created_reply"), INSTANCE, NOW)

    assert map_delivery("post_liked", body, INSTANCE, NOW).event is None
    assert deleted_reply.event is None


def test_a_title_longer_than_cerchia_keeps_is_a_400_naming_post_topic_title():
    body = payload("post_created_topic")
    body["post"]["topic_title"] = "x" * 301

    with pytest.raises(InvalidInput) as raised:
        map_delivery("post_created", body, INSTANCE, NOW)

    assert list(raised.value.fields) == ["post.topic_title"]


def test_a_body_without_its_root_key_is_a_400_naming_it():
    with pytest.raises(InvalidInput) as raised:
        map_delivery("post_created", {"topic": {}}, INSTANCE, NOW)

    assert raised.value.fields == {"post": "missing"}


def test_an_anonymized_user_leaves():
    body = payload("user_updated")
    body["user"]["email"] = "anon8d1c2@anonymized.invalid"

    assert map_delivery("user_updated", body, INSTANCE, NOW).event.type == "member.left"


DISCOURSE_HEADER = (
    "id,name,username,email,title,created_at,last_seen_at,last_posted_at,last_emailed_at,trust_level,approved,"
    "suspended_at,suspended_till,silenced_till,active,admin,moderator,ip_address,staged,secondary_emails,"
    "topics_entered,posts_read_count,time_read,topic_count,post_count,likes_given,likes_received,location,website,"
    "views,group_names"
)


def _discourse_line(user_id, name="Ada", email=None, active="true", staged="false", suspended_till="", admin="false"):
    email = email or f"user{user_id}@example.com"
    return (
        f"{user_id},{name},user{user_id},{email},,2025-03-02 10:11:12 UTC,2026-11-20 08:00:00 UTC,,,1,true,,"
        f"{suspended_till},,{active},{admin},false,10.0.0.1,{staged},,3,40,1200,1,5,2,3,Roma,,12,trust_level_0"
    )


def test_a_discourse_export_skips_staged_inactive_suspended_and_system_users_and_reads_leaders():
    lines = [
        DISCOURSE_HEADER,
        _discourse_line(-1, "system"),
        _discourse_line(2, admin="true"),
        _discourse_line(3, staged="true"),
        _discourse_line(4, active="false"),
        _discourse_line(5, suspended_till="2027-01-01 00:00:00 UTC"),
        _discourse_line(6, suspended_till="2026-01-01 00:00:00 UTC"),
        _discourse_line(7, name=""),
    ]

    rows = list(read_rows(lines, NOW))

    assert [(row.line, row.skipped) for row in rows if row.skipped] == [
        (2, "system user"),
        (4, "staged"),
        (5, "inactive"),
        (6, "suspended"),
    ]
    members = {row.member["member_id"]: row.member for row in rows if row.member}
    assert sorted(members) == ["2", "6", "7"]
    assert members["2"]["role"] == "leader" and members["7"]["name"] == "user7"
    assert members["6"]["joined_at"] == "2025-03-02T10:11:12+00:00"


def test_a_plain_csv_is_read_by_its_columns_and_an_unknown_header_is_refused():
    rows = list(read_rows(["member_id,email,name,locale", "m_1,ada@example.com,Ada,it"], NOW))

    assert rows[0].member == {
        "member_id": "m_1", "email": "ada@example.com", "name": "Ada", "locale": "it", "timezone": None, "role": None,
    }  # fmt: skip
    with pytest.raises(ValueError, match="first line must name its columns"):
        list(read_rows(["email,name", "ada@example.com,Ada"], NOW))


def test_an_imported_membership_gets_no_welcome_but_a_new_membership_after_it_does():
    imported = Member(
        community_id="c", member_id="m", email="a@example.com", membership_started_at=NOW, imported_membership=NOW
    )
    rejoined = imported.model_copy(update={"membership_started_at": datetime(2027, 1, 10, tzinfo=UTC)})

    assert (deserves_welcome(imported), deserves_welcome(rejoined)) == (False, True)


def test_the_welcome_stream_filter_skips_an_imported_member_row_but_not_a_joined_one():
    import yaml

    from cerchia_infra.local.patterns import EventFilter

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    template = yaml.load((ROOT / "template.yaml").read_text(), Loader=Loader)
    criteria = template["Resources"]["WelcomeMemberFunction"]["Properties"]["Events"]["MemberJoined"]["Properties"]
    welcome_filter = EventFilter.from_criteria(criteria["FilterCriteria"])
    image = {"entity": {"S": "member"}, "status": {"S": "active"}, "role": {"S": "member"}}
    joined = {"eventName": "INSERT", "dynamodb": {"NewImage": image}}
    imported = {"eventName": "INSERT", "dynamodb": {"NewImage": {**image, "imported_membership": {"S": "2026"}}}}

    assert (welcome_filter.matches(joined), welcome_filter.matches(imported)) == (True, False)
    assert json.dumps(criteria)  # the criteria are plain data


def test_the_local_router_serves_a_path_with_a_colon_apart_from_its_siblings():
    from cerchia_infra.local.http_front import Route, Router

    router = Router(
        [
            Route("POST", "/v1/communities/{community_id}/members:import", "ManageMembersFunction"),
            Route("GET", "/v1/communities/{community_id}/members/{member_id}", "ManageMembersFunction"),
            Route("POST", "/v1/communities/{community_id}/polls", "ManagePollsFunction"),
        ]
    )

    route, parameters = router.match("POST", "/v1/communities/c_1/members:import")
    assert (route.path, parameters) == ("/v1/communities/{community_id}/members:import", {"community_id": "c_1"})
    assert router.match("POST", "/v1/communities/c_1/members%3Aimport")[0].path.endswith("members:import")
    assert router.match("POST", "/v1/communities/c_1/members:export") is None


def test_members_imported_this_week_are_not_listed_as_new_members_in_the_digest():
    from datetime import timedelta

    from cerchia.domain.digest_content import new_members

    joined = Member(community_id="c", member_id="m_1", name="Ada", email="a@example.com", membership_started_at=NOW)
    imported = Member(
        community_id="c", member_id="m_2", name="Bo", email="b@example.com", membership_started_at=NOW,
        imported_membership=NOW,
    )  # fmt: skip

    listed = new_members([joined, imported], NOW - timedelta(days=1), NOW + timedelta(days=6))

    assert [member.member_id for member in listed] == ["m_1"]


def test_the_progress_bar_shows_for_large_files_and_stays_silent_for_small_ones():
    import io

    from cerchia_infra.cli_members import Progress

    large, small = io.StringIO(), io.StringIO()
    bar = Progress(2000, large)
    bar.advance(1000)
    bar.advance(1000)
    bar.done()
    quiet = Progress(10, small)
    quiet.advance(10)
    quiet.done()

    assert large.getvalue().endswith("\r[" + "#" * 30 + "] 2000/2000 members\n")
    assert "1000/2000" in large.getvalue()
    assert small.getvalue() == ""
