"""Changing a community's settings after creation: validated, kept, and the digest schedule follows."""

from __future__ import annotations

import pytest

from cerchia.errors import InvalidInput


def test_settings_are_validated_and_kept(community):
    from cerchia.communities import configure_community
    from cerchia.store import get_store

    changed = configure_community(community.community_id, {"unanswered_after_hours": "12", "quiet_end_hour": "7"})

    stored = get_store().get_community(community.community_id)
    assert (changed.unanswered_after_hours, stored.unanswered_after_hours, stored.quiet_end_hour) == (12, 12, 7)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"unanswered_after_hours": "400"}, "unanswered_after_hours"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"webhook_secret": "whsec_x"}, "webhook_secret"),
        ({"digest_day": "8"}, "digest_day"),
    ],
)
def test_invalid_or_unknown_settings_name_the_field(community, changes, field):
    from cerchia.communities import configure_community

    with pytest.raises(InvalidInput) as caught:
        configure_community(community.community_id, changes)

    assert field in caught.value.fields


def test_moving_the_digest_day_moves_the_pending_digest(community, clock):
    from cerchia.communities import configure_community
    from cerchia.digests.schedule import ROUND_JOB
    from cerchia.domain import digests as schedule
    from cerchia.store import get_store

    before = get_store().get_job(ROUND_JOB, community.community_id).due
    configure_community(community.community_id, {"digest_day": "3", "digest_hour": "18"})
    after = get_store().get_job(ROUND_JOB, community.community_id).due

    community_now = get_store().get_community(community.community_id)
    rome_send = schedule.send_instant(schedule.round_week(after, "Europe/Rome"), community_now, None)
    assert after != before
    assert after <= rome_send
    assert (rome_send.isoweekday(), rome_send.hour) == (3, 17)  # 18:00 in Rome is 17:00 UTC in winter


def test_the_introductions_link_is_a_setting_and_must_be_a_web_address(community):
    from cerchia.communities import configure_community
    from cerchia.store import get_store

    configure_community(community.community_id, {"intro_url": "https://forum.lievito.example/t/presentazioni"})
    with pytest.raises(InvalidInput) as caught:
        configure_community(community.community_id, {"community_url": "forum.lievito.example"})

    stored = get_store().get_community(community.community_id)
    assert stored is not None and stored.intro_url == "https://forum.lievito.example/t/presentazioni"
    assert "https://" in caught.value.fields["community_url"] and stored.community_url == ""
