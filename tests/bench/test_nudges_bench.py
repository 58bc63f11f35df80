"""The nudge bench section measures one sweep for real; small tables keep this smoke test fast."""

from __future__ import annotations

from cerchia_infra import bench_nudges


def test_sweep_reads_follow_the_due_posts_not_the_size_of_the_table() -> None:
    title, headers, rows = bench_nudges.section(totals=(40, 400), unanswered=4)

    assert "4 unanswered posts" in title
    assert headers == bench_nudges.HEADERS
    small, large = rows
    assert [small[0], large[0]] == ["40", "400"]
    assert small[2:] == large[2:], rows  # same requests, same items, whatever the total
    read_requests, items, scans, writes, sent = (int(cell) for cell in small[2:])
    assert items <= 4 + bench_nudges.AUTHORS + 3
    assert scans == 0 and sent == 1 and read_requests > 0 and writes > 0
