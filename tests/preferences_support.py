"""Helpers for the preference, unsubscribe and SES feedback tests: realistic SNS events, page requests."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from support import EVENTS, LambdaContext, http_event, load_handler


def ses_event(
    fixture: str,
    /,
    address: str | None = None,
    feedback_id: str | None = None,
    timestamp: str | None = None,
    sns_message_id: str | None = None,
) -> dict[str, Any]:
    """A realistic SES notification as SNS delivers it to Lambda (tests/events/ses_*.json), with changes."""
    envelope = copy.deepcopy(json.loads((EVENTS / f"{fixture}.json").read_text()))
    record = envelope["Records"][0]["Sns"]
    message = json.loads(record["Message"])
    for section in ("bounce", "complaint"):
        if section not in message:
            continue
        if address:
            for recipient in message[section].get("bouncedRecipients", []) + message[section].get(
                "complainedRecipients", []
            ):
                recipient["emailAddress"] = address
        if feedback_id:
            message[section]["feedbackId"] = feedback_id
        if timestamp:
            message[section]["timestamp"] = timestamp
    if address:
        message["mail"]["destination"] = [address]
        if "delivery" in message:
            message["delivery"]["recipients"] = [address]
    record["Message"] = json.dumps(message)
    if sns_message_id:
        record["MessageId"] = sns_message_id
    return envelope


def page_requester(function: str, prefix: str) -> Any:
    """Call a page function's handler as API Gateway would: request(method, token, body=b"", headers=None)."""
    module = load_handler(function)

    def request(method: str, token: str, body: bytes = b"", headers: dict[str, str] | None = None) -> dict[str, Any]:
        path = f"/{prefix}/{token}"
        return dict(
            module.lambda_handler(
                http_event(method, path, f"/{prefix}/{{token}}", {"token": token}, body, headers), LambdaContext()
            )
        )

    return request


FORM = {"content-type": "application/x-www-form-urlencoded"}


def link_token(text: str, prefix: str) -> str:
    """The token of the first https link to /<prefix>/ in a text (an email part, a page)."""
    match = re.search(rf"https?://[^\s\"'<>]+/{prefix}/([A-Za-z0-9_.\-]+)", text)
    assert match, f"no /{prefix}/ link in the text"
    return match.group(1)


def checked(html: str, name: str) -> str | None:
    """The value of the checked radio button named `name` in a page."""
    for tag in re.findall(r"<input[^>]*>", html):
        if f'name="{name}"' in tag and " checked" in tag:
            value = re.search(r'value="([^"]*)"', tag)
            return value.group(1) if value else None
    return None


def selected(html: str, name: str) -> str | None:
    """The selected option's value of the select named `name`."""
    block = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    if not block:
        return None
    option = re.search(r'<option value="([^"]*)" selected>', block.group(1))
    return option.group(1) if option else None


def emf_counts(output: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Metrics printed as CloudWatch EMF lines: {(name, dimensions): total}."""
    totals: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for line in output.splitlines():
        if not line.startswith('{"_aws"'):
            continue
        document = json.loads(line)
        for directive in document["_aws"]["CloudWatchMetrics"]:
            dimensions = tuple(
                sorted((name, str(document[name])) for group in directive["Dimensions"] for name in group)
            )
            for metric in directive["Metrics"]:
                values = document[metric["Name"]]
                total = sum(values) if isinstance(values, list) else values
                key = (metric["Name"], dimensions)
                totals[key] = totals.get(key, 0) + total
    return totals


def metric_total(output: str, name: str, **dimensions: str) -> float:
    """The total of a metric across EMF lines whose dimensions include the given ones."""
    return sum(
        value
        for (metric, dims), value in emf_counts(output).items()
        if metric == name and set(dimensions.items()) <= set(dims)
    )


def feedback_handler() -> Any:
    """Invoke the SES feedback function as SNS would: invoke(event) -> its result."""
    module = load_handler("record_ses_feedback")

    def invoke(sns_event: dict[str, Any]) -> Any:
        return module.lambda_handler(sns_event, LambdaContext())

    return invoke
