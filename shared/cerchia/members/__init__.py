"""The member lifecycle a leader drives through the admin API: import, erase, access (see `service`)."""

from cerchia.members.service import erase_member, import_members, member_record

__all__ = ["erase_member", "import_members", "member_record"]
