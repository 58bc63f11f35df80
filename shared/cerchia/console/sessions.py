"""Single-use sign-in links and the console's sessions.

A link carries a signed, expiring token naming a community, a leader and a link id; opening it
writes the link id's "used" item with a conditional put, so a link opens one session only. The
session cookie carries only a signed session id: the session itself (community, leader, CSRF token)
is in the table, so signing out deletes it and a demoted leader is refused at the next request.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cerchia import aws, links
from cerchia.domain.access import is_leader
from cerchia.errors import InvalidLink
from cerchia.store import console as console_store
from cerchia.store import get_store

LINK_PURPOSE = links.CONSOLE_LINK_PURPOSE
SESSION_PURPOSE = "console-session"
COOKIE = "cerchia_session"
# A link asked for on the sign-in page is used within minutes (one in an email: mail.compose.CONSOLE_LINK_LIFETIME).
SIGN_IN_LINK_LIFETIME = timedelta(minutes=30)
SESSION_LIFETIME = timedelta(hours=12)


@dataclass(frozen=True)
class Session:
    session_id: str
    community_id: str
    leader_id: str
    csrf: str


def issue_link(community_id: str, leader_id: str, now: datetime, lifetime: timedelta = SIGN_IN_LINK_LIFETIME) -> str:
    """The path `/l/open/{token}` of a fresh single-use link (nothing is written until it is used)."""
    return links.console_link_path(community_id, leader_id, now, lifetime)


def link_claims(token: str, now: datetime) -> tuple[str, str, str, datetime]:
    """(community, leader, link id, expiry) of a well-signed, unexpired link; InvalidLink otherwise. Uses nothing."""
    claims = links.verify(aws.link_secret(), LINK_PURPOSE, token, now)
    try:
        return str(claims["c"]), str(claims["l"]), str(claims["j"]), datetime.fromtimestamp(claims["exp"], UTC)
    except KeyError:
        raise InvalidLink("This link is not valid.") from None


def open_session(token: str, now: datetime) -> tuple[Session, str]:
    """Use a link once and start a session: (session, cookie value). InvalidLink if the link cannot open one."""
    community_id, leader_id, link_id, link_expires_at = link_claims(token, now)
    store = get_store()
    community = store.get_community(community_id)
    if not is_leader(community, store.get_member(community_id, leader_id)):
        raise InvalidLink("This link is not valid.")
    if not console_store.use_link(store, link_id, community_id, leader_id, now, link_expires_at):
        raise InvalidLink("This link was used already.")
    session = Session(secrets.token_urlsafe(18), community_id, leader_id, secrets.token_urlsafe(24))
    expires_at = now + SESSION_LIFETIME
    console_store.put_session(store, session.session_id, community_id, leader_id, session.csrf, now, expires_at)
    cookie = links.sign(aws.link_secret(), SESSION_PURPOSE, {"s": session.session_id}, expires_at)
    return session, cookie


def current_session(cookies: dict[str, str], now: datetime) -> Session | None:
    """The session the cookie names, if it is signed, unexpired and still in the table."""
    value = cookies.get(COOKIE)
    if not value:
        return None
    try:
        session_id = str(links.verify(aws.link_secret(), SESSION_PURPOSE, value, now)["s"])
    except (InvalidLink, KeyError):
        return None
    item = console_store.get_session(get_store(), session_id)
    if item is None or int(item.get("expires_at") or 0) <= now.timestamp():
        return None
    return Session(session_id, str(item["community_id"]), str(item["leader_id"]), str(item["csrf"]))


def csrf_matches(session: Session, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(session.csrf.encode(), str(presented).encode())


def end_session(session: Session) -> None:
    console_store.delete_session(get_store(), session.session_id)


def session_cookie(value: str, secure: bool, max_age: int = int(SESSION_LIFETIME.total_seconds())) -> str:
    """The Set-Cookie value: HttpOnly, SameSite=Lax, Path=/l/, Secure over https."""
    attributes = [f"{COOKIE}={value}", "Path=/l/", f"Max-Age={max_age}", "HttpOnly", "SameSite=Lax"]
    if secure:
        attributes.append("Secure")
    return "; ".join(attributes)


def cleared_cookie(secure: bool) -> str:
    return session_cookie("", secure, max_age=0)


def link_is_usable(token: str, now: datetime) -> bool:
    """Whether a link would open a session (signed, unexpired, not used yet). Reads only."""
    try:
        link_id = link_claims(token, now)[2]
    except InvalidLink:
        return False
    return console_store.link_unused(get_store(), link_id)
