"""SES's real answers, which moto never gives: a client that wraps moto's and says no when told to.

Installed through the public seam `cerchia.mail.sending.use_ses`, so the code under test goes
through its ordinary path (ledger, classification, metrics) and moto still records what went out.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

SANDBOX_REFUSAL = "Email address is not verified. The following identities failed the check in region EU-WEST-1: {}"


class ScriptedSES:
    """Sends through moto, except to refused recipients or while an outage is declared."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.refused: set[str] = set()
        self.outage: tuple[str, str] | None = None
        self.attempts: list[str] = []

    def refuse(self, address: str) -> None:
        """This recipient is not verified (the SES sandbox): MessageRejected naming only them."""
        self.refused.add(address)

    def fail_account(self, code: str, message: str = "") -> None:
        """Every send fails for the account (sender not verified, sending paused, ...)."""
        self.outage = (code, message or code)

    def recover(self) -> None:
        self.outage = None

    def send_email(self, **request: Any) -> Any:
        [to_address] = request["Destination"]["ToAddresses"]
        self.attempts.append(to_address)
        if self.outage is not None:
            code, message = self.outage
            raise ClientError({"Error": {"Code": code, "Message": message}}, "SendEmail")
        if to_address in self.refused:
            raise ClientError(
                {"Error": {"Code": "MessageRejected", "Message": SANDBOX_REFUSAL.format(to_address)}}, "SendEmail"
            )
        return self.real.send_email(**request)


def sender_not_verified(sender: str) -> tuple[str, str]:
    return "MessageRejected", SANDBOX_REFUSAL.format(sender)
