"""The console's polls: a new poll from the form, and cancelling or closing one now.

Polls are created through the API's own service (`cerchia.polls.create_poll`, with its rules), so
the console can never accept what the API refuses.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from cerchia.console.service import FormProblems
from cerchia.domain.models import Community
from cerchia.domain.polls import NewPoll, Poll, status_at
from cerchia.errors import InvalidInput, NotFound
from cerchia.polls import JOB_KIND, create_poll
from cerchia.store import console as console_store
from cerchia.store import get_store
from cerchia.store import polls as poll_store

POLL_FIELDS = ("question", "options", "kind", "send_at", "close_at", "anonymous")
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


def create_poll_from_form(community: Community, form: dict[str, str], now: datetime) -> str | FormProblems:
    """The new poll's id, or what to show beside each wrong field."""
    values = {name: form.get(name, "") for name in POLL_FIELDS}
    errors: dict[str, str] = {}
    zone = ZoneInfo(community.timezone)
    instants: dict[str, datetime | None] = {}
    for name in ("send_at", "close_at"):
        text = values[name].strip()
        if not text:
            instants[name] = None
            continue
        try:
            instants[name] = datetime.strptime(text, LOCAL_FORMAT).replace(tzinfo=zone)
        except ValueError:
            errors[name] = f"console.poll.error.{name}"
    if instants.get("close_at") is None and "close_at" not in errors:
        errors["close_at"] = "console.poll.error.close_at"
    options = [line.strip() for line in values["options"].splitlines() if line.strip()]
    request = {
        "question": values["question"],
        "options": options,
        "kind": values["kind"] or "single",
        "send_at": instants.get("send_at"),
        "close_at": instants.get("close_at") or now,
        "anonymous": values["anonymous"] == "yes",
    }
    try:
        new_poll = NewPoll.model_validate(request)
    except ValidationError as error:
        for problem in error.errors():
            name = str(problem["loc"][0]) if problem["loc"] else "question"
            errors.setdefault(name if name in POLL_FIELDS else "question", f"console.poll.error.{name}")
        return FormProblems(values, errors)
    if errors:
        return FormProblems(values, errors)
    try:
        return create_poll(community, new_poll, now).poll_id
    except InvalidInput as error:
        for name in error.fields:
            errors[name if name in POLL_FIELDS else "question"] = f"console.poll.error.{name}"
        return FormProblems(values, errors)


def default_poll_form(community: Community, now: datetime) -> dict[str, str]:
    zone = ZoneInfo(community.timezone)
    start = (now + timedelta(hours=1)).astimezone(zone).replace(minute=0, second=0, microsecond=0)
    return {
        "question": "",
        "options": "",
        "kind": "single",
        "send_at": start.strftime(LOCAL_FORMAT),
        "close_at": (start + timedelta(days=3)).strftime(LOCAL_FORMAT),
        "anonymous": "",
    }


def get_poll(community: Community, poll_id: str) -> Poll:
    poll = poll_store.get_poll(get_store(), community.community_id, poll_id)
    if poll is None:
        raise NotFound(f"There is no poll {poll_id} in this community.")
    return poll


def cancel_poll(community: Community, poll_id: str) -> bool:
    poll = get_poll(community, poll_id)
    return poll.status == "scheduled" and console_store.cancel_poll(get_store(), poll)


def close_poll_now(community: Community, poll_id: str, now: datetime) -> bool:
    """Close an open poll now: its close moves to now and its job runs at once (close, then results)."""
    store = get_store()
    poll = get_poll(community, poll_id)
    if poll.status != "open" or not console_store.close_poll_now(store, poll, now):
        return False
    store.schedule_job(JOB_KIND, poll.poll_id, community.community_id, now)
    return True


def poll_status(poll: Poll, now: datetime) -> str:
    """What leaders see: a poll past its close is closed, whatever its job has done yet."""
    return str(status_at(poll, now))
