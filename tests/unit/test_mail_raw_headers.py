"""The bytes SES receives, read as a client that does not decode: list headers raw, names encoded, no injection."""

from __future__ import annotations

from datetime import UTC, datetime

from raw_mail import addr_spec, assert_client_readable, decoded_display_name, field, fields, unfolded

from cerchia.domain.models import Community
from cerchia.mail.compose import sender
from cerchia.mail.mime import Outgoing, build

SENT_AT = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
LONG_LINK = "https://cerchia.example/u/" + "eyJjIjoiY19hYmMxMjMiLCJtIjoidV9naXVsaWEifQ." * 4 + "sig-0123456789abcdef"
LIEVITO = Community(
    community_id="c_0a1b2c3d4e5f",
    name="Lievito & Co.",
    leader_name="Marco Bianchi",
    leader_email="marco.bianchi@example.com",
)


def _raw(community: Community = LIEVITO, kind: str = "welcome", **overrides: object) -> bytes:
    who = sender(kind, community, "hello@cerchia.example")
    values: dict[str, object] = dict(
        kind=kind,
        to_address="giulia@example.com",
        to_name="Giulia Rossi",
        subject="Ti diamo il benvenuto in Lievito & Co.",
        text="testo",
        html="<p>testo</p>",
        unsubscribe_url=LONG_LINK,
        from_name=who.from_name,
        reply_to=who.reply_to,
        reply_to_name=who.reply_to_name,
        list_id=who.list_id,
        list_name=who.list_name,
    )
    values.update(overrides)
    message = build(Outgoing(**values), sender_address="hello@cerchia.example", sender_name="Cerchia", sent_at=SENT_AT)  # type: ignore[arg-type]
    return message.as_bytes()


def test_a_long_unsubscribe_link_is_written_whole_on_one_line_never_encoded():
    raw = _raw()

    assert len(LONG_LINK) > 150
    assert field(raw, "List-Unsubscribe") == [f"List-Unsubscribe: <{LONG_LINK}>".encode()]
    assert_client_readable(raw)


def test_leader_voice_emails_come_from_the_leader_of_the_community_and_replies_reach_the_leader():
    raw = _raw(kind="welcome")

    assert decoded_display_name(field(raw, "From")) == "Marco · Lievito & Co."
    assert addr_spec(field(raw, "From")) == "hello@cerchia.example"
    assert field(raw, "From")[0].startswith(b"From: =?utf-8?b?")  # "·" is not ASCII: encoded, as RFC 2047 says
    assert decoded_display_name(field(raw, "Reply-To")) == "Marco Bianchi"
    assert addr_spec(field(raw, "Reply-To")) == "marco.bianchi@example.com"


def test_digests_come_from_the_community_with_no_reply_to():
    raw = _raw(kind="digest")

    assert field(raw, "From") == [b'From: "Lievito & Co." <hello@cerchia.example>']
    assert b"reply-to" not in [name for name, _ in fields(raw)]


def test_a_reply_to_setting_overrides_the_leader_address():
    raw = _raw(LIEVITO.model_copy(update={"reply_to": "team@lievito.example"}), kind="poll")

    assert addr_spec(field(raw, "Reply-To")) == "team@lievito.example"
    assert decoded_display_name(field(raw, "Reply-To")) == "Lievito & Co."


def test_every_email_names_its_community_in_list_id_raw():
    raw = _raw(kind="leader-digest")

    assert field(raw, "List-Id") == [b'List-Id: "Lievito & Co." <c_0a1b2c3d4e5f.cerchia.example>']


def test_a_non_ascii_community_name_is_encoded_in_from_and_left_out_of_list_id():
    caffe = LIEVITO.model_copy(update={"name": "Caffè Letterario — Torino", "leader_name": "Anna"})
    raw = _raw(caffe, kind="newcomer")

    assert decoded_display_name(field(raw, "From")) == "Anna · Caffè Letterario — Torino"
    assert field(raw, "List-Id") == [b"List-Id: <c_0a1b2c3d4e5f.cerchia.example>"]
    assert_client_readable(raw)


def test_cr_lf_in_a_community_name_cannot_add_a_header():
    evil = LIEVITO.model_copy(
        update={"name": "Evil\r\nBcc: everyone@example.com\r\nX-Injected: yes", "leader_name": "Eve\nCc: x@y.z"}
    )
    raw = _raw(evil, kind="poll")

    names = [name for name, _ in fields(raw)]
    assert b"bcc" not in names and b"x-injected" not in names and b"cc" not in names
    assert decoded_display_name(field(raw, "From")) == "Eve · Evil Bcc: everyone@example.com X-Injected: yes"
    assert unfolded(field(raw, "List-Id")).endswith(b"<c_0a1b2c3d4e5f.cerchia.example>")


def test_a_quote_in_a_name_stays_inside_the_quoted_display_name():
    raw = _raw(to_name='Giulia "la fornaia" \\ Rossi')

    assert decoded_display_name(field(raw, "To")) == 'Giulia "la fornaia" \\ Rossi'
    assert addr_spec(field(raw, "To")) == "giulia@example.com"


def test_a_long_non_ascii_name_is_cut_into_encoded_words_of_at_most_75_characters():
    name = "Società Cooperativa dei Panificatori Artigiani di Genova è Liguria " * 3
    raw = _raw(to_name=name)

    lines = field(raw, "To")
    words = [word for line in lines for word in line.split() if word.startswith(b"=?")]
    assert len(words) > 3 and all(len(word) <= 75 for word in words)
    assert decoded_display_name(lines) == " ".join(name.split())
    assert_client_readable(raw)


def test_bidi_overrides_and_nul_never_reach_a_header():
    raw = _raw(to_name="Giulia\u202e\u2066 Rossi\x00", subject="Ciao\u202d\u2069 Giulia")

    assert decoded_display_name(field(raw, "To")) == "Giulia Rossi"
    assert unfolded(field(raw, "Subject")) == b"Ciao Giulia"
