"""The console's routes: each request in, one answer out (a page, or a 303 after every POST).

Every page but sign-in needs the session cookie; a session only sees its own community, and its
leader must still lead it (checked on every request). Every POST carries the session's CSRF token;
without it, or with another session's, nothing changes and the answer is 403.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cerchia.console import overview, polls, service
from cerchia.console.sessions import (
    Session,
    cleared_cookie,
    csrf_matches,
    current_session,
    end_session,
    link_is_usable,
    session_cookie,
)
from cerchia.console.sessions import open_session as start_session
from cerchia.domain.models import Community, Member
from cerchia.domain.tallies import tally
from cerchia.errors import InvalidLink, NotFound, Transient
from cerchia.i18n import translator
from cerchia.rendering import render
from cerchia.store import console as console_store
from cerchia.store import get_store
from cerchia.web.pages import SECURITY_HEADERS

SIGN_IN = "/l/sign-in"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    cookies: dict[str, str]
    form: dict[str, str]
    browser_locale: str
    base_url: str  # the public URL of the API, for links in emails (https://... or the local stack's)

    @property
    def secure(self) -> bool:
        """Over https the cookie gets `Secure`."""
        return self.base_url.startswith("https://")


@dataclass(frozen=True)
class Reply:
    status: int
    html: str = ""
    location: str | None = None
    cookies: list[str] = field(default_factory=list)

    @property
    def headers(self) -> dict[str, str]:
        headers = dict(SECURITY_HEADERS)
        if self.location:
            headers["Location"] = self.location
        else:
            headers["Content-Type"] = "text/html; charset=utf-8"
        return headers


def see_other(location: str, cookies: list[str] | None = None) -> Reply:
    return Reply(303, location=location, cookies=cookies or [])


def _render(template: str, locale: str, status: int = 200, **context: Any) -> Reply:
    context.setdefault("community_name", "")
    context.setdefault("title", translator(locale)(f"console.title.{template.removesuffix('.html')}"))
    return Reply(status, render(f"pages/console/{template}", locale, **context))


def _message(locale: str, status: int, key: str, sign_in_link: bool = True, community_name: str = "") -> Reply:
    t = translator(locale)
    return _render(
        "message.html",
        locale,
        status,
        title=t(f"console.message.{key}_title"),
        body=t(f"console.message.{key}_body"),
        sign_in_link=sign_in_link,
        community_name=community_name,
    )


# ---------------------------------------------------------------------- routing


def respond(request: Request, now: datetime) -> Reply:
    """The answer to one console request."""
    path = request.path.rstrip("/") or "/"
    for method, pattern, handler in _ROUTES:
        found = pattern.match(path)
        if found and method == request.method:
            try:
                return handler(request, now, **found.groupdict())
            except Transient:
                return _message(request.browser_locale, 503, "busy", sign_in_link=False)
    return _message(request.browser_locale, 404, "not_found")


# ---------------------------------------------------------------------- signing in


def sign_in_form(request: Request, now: datetime) -> Reply:
    return _render("sign_in.html", request.browser_locale, sent=False)


def sign_in_request(request: Request, now: datetime) -> Reply:
    service.request_sign_in(request.form.get("email", ""), now, request.base_url)
    return see_other(SIGN_IN + "/sent")  # the same answer for every address


def sign_in_sent(request: Request, now: datetime) -> Reply:
    return _render("sign_in.html", request.browser_locale, sent=True)


def open_form(request: Request, now: datetime, token: str) -> Reply:
    if not link_is_usable(token, now):
        return _message(request.browser_locale, 403, "link_invalid")
    return _render("open.html", request.browser_locale)


def open_session(request: Request, now: datetime, token: str) -> Reply:
    try:
        session, cookie = start_session(token, now)
    except InvalidLink:
        return _message(request.browser_locale, 403, "link_invalid")
    return see_other(f"/l/{session.community_id}", [session_cookie(cookie, request.secure)])


def sign_out(request: Request, now: datetime) -> Reply:
    session = current_session(request.cookies, now)
    if session is None or not csrf_matches(session, request.form.get("csrf")):
        return _message(request.browser_locale, 403, "forbidden")
    end_session(session)
    return see_other(SIGN_IN, [cleared_cookie(request.secure)])


# ---------------------------------------------------------------------- the session's community


@dataclass(frozen=True)
class _Leader:
    session: Session
    community: Community
    member: Member
    locale: str

    def page(self, template: str, status: int = 200, **context: Any) -> Reply:
        return _render(
            template,
            self.locale,
            status,
            community=self.community,
            community_name=self.community.name,
            leader=self.member,
            csrf=self.session.csrf,
            **context,
        )


def _leader(request: Request, now: datetime, cid: str) -> _Leader | Reply:
    """The session's leader for this community, or the answer that refuses the request."""
    session = current_session(request.cookies, now)
    if session is None:
        if request.method == "GET":
            return see_other(SIGN_IN)
        return _message(request.browser_locale, 403, "forbidden")
    if session.community_id != cid:
        return _message(request.browser_locale, 403, "other_community")
    led = service.leader_of(cid, session.leader_id)
    if led is None:
        end_session(session)
        reply = _message(request.browser_locale, 403, "not_leader")
        return Reply(reply.status, reply.html, cookies=[cleared_cookie(request.secure)])
    if request.method == "POST" and not csrf_matches(session, request.form.get("csrf")):
        return _message(request.browser_locale, 403, "forbidden")
    community, member = led
    return _Leader(session, community, member, service.locale_for(community, member))


def _flash(leader: _Leader) -> dict[str, Any]:
    return console_store.take_flash(get_store(), leader.session.session_id) or {}


def _set_flash(leader: _Leader, flash: dict[str, Any]) -> None:
    console_store.set_flash(get_store(), leader.session.session_id, flash)


def home(request: Request, now: datetime, cid: str) -> Reply:
    leader = _leader(request, now, cid)
    if isinstance(leader, Reply):
        return leader
    flash = _flash(leader)
    return leader.page("home.html", overview=overview.overview(leader.community, leader.member, now), flash=flash)


def settle_post(request: Request, now: datetime, cid: str, post_id: str, action: str) -> Reply:
    leader = _leader(request, now, cid)
    if isinstance(leader, Reply):
        return leader
    done = service.settle_post(leader.community, leader.member, post_id, action, now)
    _set_flash(leader, {"notice": f"console.home.{action}_done" if done else "console.home.settle_stale"})
    return see_other(f"/l/{cid}")


def poll_form(request: Request, now: datetime, cid: str) -> Reply:
    leader = _leader(request, now, cid)
    if isinstance(leader, Reply):
        return leader
    flash = _flash(leader)
    values = flash.get("values") or polls.default_poll_form(leader.community, now)
    return leader.page("poll_new.html", 200, values=values, errors=flash.get("errors") or {})


def poll_create(request: Request, now: datetime, cid: str) -> Reply:
    leader = _leader(request, now, cid)
    if isinstance(leader, Reply):
        return leader
    outcome = polls.create_poll_from_form(leader.community, request.form, now)
    if isinstance(outcome, service.FormProblems):
        _set_flash(leader, {"values": outcome.values, "errors": outcome.errors})
        return see_other(f"/l/{cid}/polls/new")
    _set_flash(leader, {"notice": "console.poll.created"})
    return see_other(f"/l/{cid}/polls/{outcome}")


def poll_page(request: Request, now: datetime, cid: str, poll_id: str) -> Reply:
    leader = _leader(request, now, cid)
    if isinstance(leader, Reply):
        return leader
    try:
        poll = polls.get_poll(leader.community, poll_id)
    except NotFound:
        return _message(leader.locale, 404, "poll_not_found", sign_in_link=False, community_name=leader.community.name)
    return leader.page(
        "poll.html",
        poll=poll,
        poll_status=polls.poll_status(poll, now),
        tally=tally(poll),
        sends=service.local_time(poll.send_at, leader.community.timezone),
        closes=service.local_time(poll.close_at, leader.community.timezone),
        flash=_flash(leader),
    )


def poll_action(request: Request, now: datetime, cid: str, poll_id: str, action: str) -> Reply:
    leader = _leader(request, now, cid)
    if isinstance(leader, Reply):
        return leader
    try:
        if action == "cancel":
            done = polls.cancel_poll(leader.community, poll_id)
            _set_flash(leader, {"notice": "console.poll.cancelled" if done else "console.poll.not_changed"})
            return see_other(f"/l/{cid}" if done else f"/l/{cid}/polls/{poll_id}")
        done = polls.close_poll_now(leader.community, poll_id, now)
    except NotFound:
        return _message(leader.locale, 404, "poll_not_found", sign_in_link=False, community_name=leader.community.name)
    _set_flash(leader, {"notice": "console.poll.closing" if done else "console.poll.not_changed"})
    return see_other(f"/l/{cid}/polls/{poll_id}")


def settings_form(request: Request, now: datetime, cid: str) -> Reply:
    leader = _leader(request, now, cid)
    if isinstance(leader, Reply):
        return leader
    flash = _flash(leader)
    return leader.page(
        "settings.html",
        values=flash.get("values") or service.settings_form(leader.community),
        errors=flash.get("errors") or {},
        notice=flash.get("notice"),
        new_secret=flash.get("secret"),
    )


def settings_save(request: Request, now: datetime, cid: str) -> Reply:
    leader = _leader(request, now, cid)
    if isinstance(leader, Reply):
        return leader
    outcome = service.save_settings(leader.community, request.form)
    if isinstance(outcome, service.FormProblems):
        _set_flash(leader, {"values": outcome.values, "errors": outcome.errors})
    else:
        _set_flash(leader, {"notice": "console.settings.saved"})
    return see_other(f"/l/{cid}/settings")


def rotate_secret(request: Request, now: datetime, cid: str) -> Reply:
    leader = _leader(request, now, cid)
    if isinstance(leader, Reply):
        return leader
    secret = service.rotate_webhook_secret(leader.community, now)
    _set_flash(leader, {"secret": secret} if secret else {"notice": "console.settings.rotate_failed"})
    return see_other(f"/l/{cid}/settings")


# ---------------------------------------------------------------------- routes (below the handlers they name)

Handler = Callable[..., Reply]
_PATHS: list[tuple[str, str, Handler]] = [
    ("GET", "/l/sign-in", sign_in_form),
    ("POST", "/l/sign-in", sign_in_request),
    ("GET", "/l/sign-in/sent", sign_in_sent),
    ("GET", "/l/open/(?P<token>[^/]+)", open_form),
    ("POST", "/l/open/(?P<token>[^/]+)", open_session),
    ("POST", "/l/sign-out", sign_out),
    ("GET", "/l/(?P<cid>[^/]+)", home),
    ("POST", "/l/(?P<cid>[^/]+)/posts/(?P<post_id>[^/]+)/(?P<action>claim|dismiss)", settle_post),
    ("GET", "/l/(?P<cid>[^/]+)/polls/new", poll_form),
    ("POST", "/l/(?P<cid>[^/]+)/polls/new", poll_create),
    ("GET", "/l/(?P<cid>[^/]+)/polls/(?P<poll_id>[^/]+)", poll_page),
    ("POST", "/l/(?P<cid>[^/]+)/polls/(?P<poll_id>[^/]+)/(?P<action>cancel|close)", poll_action),
    ("GET", "/l/(?P<cid>[^/]+)/settings", settings_form),
    ("POST", "/l/(?P<cid>[^/]+)/settings", settings_save),
    ("POST", "/l/(?P<cid>[^/]+)/settings/webhook-secret", rotate_secret),
]
_ROUTES = [(method, re.compile(f"^{pattern}$"), handler) for method, pattern, handler in _PATHS]
