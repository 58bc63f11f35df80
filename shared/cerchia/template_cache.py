"""The Jinja environments' one definition, and their templates compiled ahead of the first render.

Compiling a template (lexing, parsing, generating and compiling Python) costs a cold start more than
rendering it: a welcome email's two parts and their layouts take tens of milliseconds. So the
compiled code is kept beside the sources, in `templates/__compiled__/`, like `__pycache__` for
modules: the layer build writes it (`python -m cerchia.template_cache`, run by `shared/Makefile`
with the Lambda runtime's Python) and a read-only layer only reads it. A writable install (a
developer's checkout, the tests, the local stack) writes it on first render.

Jinja checks every entry against a checksum of its template's source and the Python version that
compiled it, so an edited template or another Python compiles afresh and never runs stale code. The
file name carries the Python version too, so two Pythons sharing a checkout do not overwrite each other.

Only jinja2 and pure helpers are imported here: the layer build runs this module on a machine that
cannot load the layer's compiled wheels (pydantic's core is built for the Lambda's arm64).
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Any

from jinja2 import BytecodeCache, Environment, FileSystemBytecodeCache, PackageLoader, StrictUndefined
from jinja2.bccache import Bucket

from cerchia.domain.text import clean

TEMPLATES = Path(__file__).with_name("templates")
COMPILED = TEMPLATES / "__compiled__"
ENTRY = f"%s.py{sys.version_info[0]}{sys.version_info[1]}.cache"


class ShippedBytecode(FileSystemBytecodeCache):
    """Reads compiled templates from `directory`; writes them where it may, and carries on where it may not."""

    def __init__(self, directory: Path = COMPILED) -> None:
        super().__init__(str(directory), ENTRY)

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        # By name alone: Jinja also hashes the source's absolute path, which differs between the
        # build (a scratch directory) and the Lambda (/opt/python/...); the checksum guards the source.
        return super().get_cache_key(name)

    def load_bytecode(self, bucket: Bucket) -> None:
        with contextlib.suppress(OSError):  # an unreadable entry is compiled again, as a missing one is
            super().load_bytecode(bucket)

    def dump_bytecode(self, bucket: Bucket) -> None:
        # a read-only layer (/opt): this environment keeps what it compiled in memory, as Jinja always does
        with contextlib.suppress(OSError):
            Path(self.directory).mkdir(exist_ok=True)
            super().dump_bytecode(bucket)


def finalize(value: Any) -> Any:
    """Every value a template prints loses NUL and bidi controls, even from rows stored before they were cleaned."""
    # str.translate on markupsafe's Markup returns Markup: already-safe HTML stays safe, and is not escaped twice.
    return clean(value) if isinstance(value, str) else value


def environment(html: bool, bytecode: BytecodeCache | None = None) -> Environment:
    """The environment for HTML (autoescaped) or plain-text templates; compiled code comes from `bytecode`."""
    return Environment(
        loader=PackageLoader("cerchia", "templates"),
        autoescape=html,  # noqa: S701 - plain-text parts are never HTML; HTML always escapes
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=finalize,
        bytecode_cache=ShippedBytecode() if bytecode is None else bytecode,
    )


def template_names() -> list[str]:
    """Every template under `templates/`, as the environments name them (`email/welcome.html`)."""
    return sorted(
        path.relative_to(TEMPLATES).as_posix()
        for path in TEMPLATES.rglob("*")
        if path.is_file() and COMPILED not in path.parents and path.suffix in (".html", ".txt")
    )


def compile_all(directory: Path = COMPILED) -> int:
    """Compile every template into `directory` (the layer build); the number compiled."""
    directory.mkdir(parents=True, exist_ok=True)
    names = template_names()
    environments = {html: environment(html, ShippedBytecode(directory)) for html in (True, False)}
    for name in names:
        environments[name.endswith(".html")].get_template(name)
    return len(names)


if __name__ == "__main__":
    print(f"compiled {compile_all()} templates into {COMPILED}")
