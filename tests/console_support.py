"""A browser for the console under moto: keeps cookies, posts forms, reads sign-in links from raw emails."""

from __future__ import annotations

import email.message
import re
from typing import Any
from urllib.parse import urlencode

from support import LambdaContext, http_event, load_handler

OPEN_LINK = re.compile(r"(https://[^\s\"<>]+/l/open/[A-Za-z0-9._\-]+)")


class ConsoleBrowser:
    """One device: its own cookie jar, talking to functions/serve_console as API Gateway would."""

    module: Any = None

    def __init__(self, locale: str = "en") -> None:
        if ConsoleBrowser.module is None:
            ConsoleBrowser.module = load_handler("serve_console")
        self.cookies: dict[str, str] = {}
        self.locale = locale
        self.set_cookies: list[str] = []

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> dict[str, Any]:
        path = path.removeprefix("https://cerchia.example")
        body = urlencode(form).encode() if form is not None else b""
        headers = {"accept-language": self.locale}
        if form is not None:
            headers["content-type"] = "application/x-www-form-urlencoded"
        event = http_event(method, path, "/l/{proxy+}", {"proxy": path.removeprefix("/l/")}, body, headers)
        if self.cookies:
            event["cookies"] = [f"{name}={value}" for name, value in self.cookies.items()]
        response = dict(self.module.lambda_handler(event, LambdaContext()))
        self.set_cookies = list(response.get("cookies") or [])
        for cookie in self.set_cookies:
            name, _, rest = cookie.partition("=")
            value = rest.split(";", 1)[0]
            if "Max-Age=0" in cookie:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return response

    def get(self, path: str) -> dict[str, Any]:
        return self.request("GET", path)

    def post(self, path: str, form: dict[str, str] | None = None) -> dict[str, Any]:
        return self.request("POST", path, form or {})

    def csrf(self, path: str) -> str:
        page = self.get(path)
        found = re.search(r'name="csrf" value="([^"]+)"', page["body"])
        assert found, page["body"][:500]
        return found.group(1)

    def sign_in_with(self, link: str) -> dict[str, Any]:
        return self.post(link)


def text_part(message: email.message.EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def open_links(message: email.message.EmailMessage) -> list[str]:
    return OPEN_LINK.findall(text_part(message))
