"""Every email the emulated SES accepted lands in the outbox folder and its index, readable and escaped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from cerchia_infra.local.outbox import Outbox, eml_file_name, parse_email, render_index


@dataclass
class SentRaw:
    """Shaped like moto's RawMessage."""

    raw_data: str
    source: str = "cerchia@example.org"
    destinations: tuple[str, ...] = ()


def _raw(
    to: str = "Giulia Rossi <giulia@example.com>",
    subject: str = "Benvenuta!",
    kind: str = "welcome",
    sent: datetime = datetime(2025, 3, 3, 10, 0, tzinfo=UTC),
) -> bytes:
    message = EmailMessage()
    message["From"] = "Cerchia <cerchia@example.org>"
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(sent.astimezone(datetime.now().astimezone().tzinfo))
    message["X-Cerchia-Kind"] = kind
    message["List-Unsubscribe"] = "<http://127.0.0.1:8000/u/token>"
    message.set_content("Ciao Giulia, caffè?")
    message.add_alternative("<p>Ciao <b>Giulia</b>, caffè?</p>", subtype="html")
    return message.as_bytes()


def test_parse_reads_recipients_kind_parts_and_the_date_as_utc():
    email = parse_email(_raw(), number=3)

    assert email.to == "giulia@example.com"
    assert email.subject == "Benvenuta!"
    assert email.kind == "welcome"
    assert email.text.strip() == "Ciao Giulia, caffè?"
    assert email.html.strip() == "<p>Ciao <b>Giulia</b>, caffè?</p>"
    assert email.headers["List-Unsubscribe"] == "<http://127.0.0.1:8000/u/token>"
    assert email.as_json()["sent_at"] == "2025-03-03T10:00:00.000Z"
    assert email.file_name == "0003-welcome.eml"


def test_file_names_are_safe_whatever_the_kind():
    assert eml_file_name(12, "poll-reminder") == "0012-poll-reminder.eml"
    assert eml_file_name(1, "../../etc/passwd") == "0001-etc-passwd.eml"
    assert eml_file_name(1, "") == "0001-email.eml"


def test_index_escapes_what_comes_from_emails_and_links_each_file():
    email = parse_email(_raw(subject="<script>alert(1)</script> & co", to='"A <b>" <a@example.com>'), number=1)

    page = render_index([email])

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in page
    assert 'href="0001-welcome.eml"' in page
    assert "1 email" in page


def test_collect_writes_each_new_message_once_and_survives_a_restart(tmp_path: Path):
    welcome = _raw()
    sent: list[SentRaw] = [SentRaw(welcome.decode())]
    outbox = Outbox(tmp_path / "outbox", lambda: sent)

    first = outbox.collect()
    sent.append(SentRaw(_raw(kind="nudge", subject="Una domanda aspetta").decode()))
    second = outbox.collect()
    again = outbox.collect()

    assert (first, second, again) == (1, 1, 0)
    assert sorted(p.name for p in (tmp_path / "outbox").glob("*.eml")) == ["0001-welcome.eml", "0002-nudge.eml"]
    assert (tmp_path / "outbox" / "0001-welcome.eml").read_bytes() == welcome
    assert "Una domanda aspetta" in (tmp_path / "outbox" / "index.html").read_text()

    restarted = Outbox(tmp_path / "outbox", lambda: [SentRaw(_raw(kind="digest").decode())])
    restarted.collect()
    assert [e.file_name for e in restarted.emails()] == ["0001-welcome.eml", "0002-nudge.eml", "0003-digest.eml"]


def test_an_empty_outbox_still_has_an_index(tmp_path: Path):
    Outbox(tmp_path / "outbox", list)

    assert "No email sent yet" in (tmp_path / "outbox" / "index.html").read_text()
