"""The member lifecycle a leader drives through the admin API: import, erase, access.

`import_members` brings existing members in without a welcome; `erase_member` removes a member's
personal data within the request (also reached by the `member.erased` webhook type);
`member_record` shows every datum held (right of access).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cerchia.domain.members import MAX_IMPORT, ImportAnswer, ImportResult, answer, validate_member
from cerchia.domain.models import Community
from cerchia.errors import InvalidInput, NotFound
from cerchia.store import get_store
from cerchia.store import members as member_store


def import_members(community: Community, members: list[Any], now: datetime) -> ImportAnswer:
    """Import up to MAX_IMPORT members; one result per member, in order. Re-running changes nothing."""
    if not 1 <= len(members) <= MAX_IMPORT:
        raise InvalidInput(
            f"Send 1 to {MAX_IMPORT} members per call; split the file into calls of at most {MAX_IMPORT}.",
            {"members": f"{len(members)} members"},
        )
    store = get_store()
    results: list[ImportResult] = []
    for index, raw in enumerate(members):
        member = validate_member(raw)
        member_id = raw.get("member_id") if isinstance(raw, dict) else None
        if isinstance(member, str):
            results.append(ImportResult(index=index, member_id=_text(member_id), outcome="rejected", reason=member))
            continue
        outcome = member_store.import_member(store, community, member, now)
        results.append(ImportResult(index=index, member_id=member.member_id, outcome=outcome))
    return answer(results)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)[:128]


def erase_member(community: Community, member_id: str) -> None:
    """Remove the member's personal data now (the API's DELETE, the `member.erased` webhook)."""
    member_store.erase_member(get_store(), community, member_id)


def member_record(community: Community, member_id: str) -> dict[str, Any]:
    """Every datum held on the member (right of access); NotFound if there is none."""
    record = member_store.member_record(get_store(), community, member_id)
    if record is None:
        raise NotFound(f"Cerchia holds nothing on member {member_id} in this community.")
    return record
