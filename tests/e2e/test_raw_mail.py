"""The `.eml` files `cerchia serve` leaves in the outbox, after the demo's week, read as raw bytes.

Every email of every kind the demo sends (welcome, nudges, newcomer, polls, preferences, digests)
must have its list headers raw (no RFC 2047), lines within 998 octets, folding at whitespace only,
a From naming the community and a List-Id; this is what Gmail or Outlook receive from SES.
"""

from __future__ import annotations

import importlib

from raw_mail import MEMBER_KINDS, assert_client_readable, decoded_display_name, field, unfolded


def test_every_eml_of_the_demo_week_reads_raw_as_a_client_reads_it(stack):
    from cerchia_infra.demo import scenario, seed

    demo = scenario.Demo(stack.url, stack.state_dir)
    demo.set_clock(scenario.start_of_demo_week(demo.now()))
    for key, settings in seed.COMMUNITIES.items():
        demo.communities[key] = demo.create_community(**settings)
        demo.members[key] = list(seed.MEMBERS[key])
    for chapter in scenario.CHAPTERS:
        importlib.import_module(f"cerchia_infra.demo.chapter_{chapter}").play(demo)
    demo.settle()

    files = sorted((stack.state_dir / "outbox").glob("*.eml"))
    names = {settings["name"] for settings in seed.COMMUNITIES.values()}
    kinds = set()
    for path in files:
        raw = path.read_bytes()
        assert_client_readable(raw)
        kind = unfolded(field(raw, "X-Cerchia-Kind")).decode()
        kinds.add(kind)
        sender = decoded_display_name(field(raw, "From"))
        assert sender in names or sender.split(" · ", 1)[-1] in names, (path.name, sender)
        assert unfolded(field(raw, "List-Id")).endswith(b">"), path.name
    assert set(MEMBER_KINDS) <= kinds, sorted(set(MEMBER_KINDS) - kinds)
