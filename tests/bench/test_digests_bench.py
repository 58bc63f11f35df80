"""The digest bench section runs for real on a small community and reports usage and cost in its shape."""

from __future__ import annotations

from cerchia_infra import bench_digests


def test_a_small_digest_run_counts_every_call_and_prices_it_against_the_ses_floor():
    title, headers, rows = bench_digests.section(members=40, posts=10)

    by_measure = {row[0]: row for row in rows}
    assert title == "Weekly digest run: 40 members, 10 posts (under moto)"
    assert headers == ["measure", "value", "detail"]
    assert by_measure["emails sent"][1] == "40 digests + 1 leader digest"
    assert by_measure["SES calls"][1] == "41"
    assert "UpdateItem 82" in by_measure["DynamoDB: delivery"][2]  # claim and mark sent, per email
    assert "Scan" not in " ".join(row[2] for row in rows)
    assert by_measure["SES-only floor"][1] == f"${41 * 0.0001 * 1000 / 40 * 4.33:.5f}"
    assert float(by_measure["CPU per member (delivery)"][1].split()[0]) > 0
    total = float(by_measure["cost per 1,000 members per month: total"][1].lstrip("$"))
    floor = float(by_measure["SES-only floor"][1].lstrip("$"))
    assert by_measure["target"][2] == ("met" if total <= floor * 1.05 else "NOT met")  # the verdict follows the figures


def test_item_sizes_follow_dynamodbs_rules():
    item = {"pk": {"S": "C#c_1"}, "n": {"N": "12345"}, "tags": {"SS": ["a", "bc"]}, "ok": {"BOOL": True}}

    assert bench_digests.item_size(item) == (2 + 5) + (1 + 4) + (4 + 3) + (2 + 1)
    assert bench_digests.read_units(4097, consistent=False) == 1.0
    assert bench_digests.read_units(10, consistent=True) == 1.0
    assert bench_digests.write_units(1025) == 2
