"""Templates ship compiled (cerchia.template_cache): a cold start loads them without compiling, an edited
template is compiled afresh, a moved layer still finds them, and a read-only one still renders."""

from __future__ import annotations

from pathlib import Path

from jinja2.bccache import Bucket

from cerchia.template_cache import ShippedBytecode, compile_all, environment, template_names


class Counting(ShippedBytecode):
    """Jinja dumps a template's code only after compiling it: each dump is one compile."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.compiled: list[str] = []

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.compiled.append(bucket.key)
        super().dump_bytecode(bucket)


def load_all(cache: ShippedBytecode) -> None:
    environments = {html: environment(html, cache) for html in (True, False)}
    for name in template_names():
        environments[name.endswith(".html")].get_template(name)


def test_every_template_is_compiled_once_and_then_only_loaded(tmp_path: Path) -> None:
    names = template_names()
    assert any(name.startswith("email/") for name in names) and any(name.startswith("pages/") for name in names)

    assert compile_all(tmp_path) == len(names)
    assert len(list(tmp_path.iterdir())) == len(names)

    cold = Counting(tmp_path)
    load_all(cold)
    assert cold.compiled == []


def test_an_edited_template_is_compiled_again_never_run_stale(tmp_path: Path) -> None:
    compile_all(tmp_path)
    first, second = template_names()[:2]
    cache = ShippedBytecode(tmp_path)
    entry = Path(cache.directory) / (cache.pattern % cache.get_cache_key(second))
    # `second`'s entry now holds `first`'s code: what an entry looks like after its template was edited
    entry.write_bytes((Path(cache.directory) / (cache.pattern % cache.get_cache_key(first))).read_bytes())

    seen = Counting(tmp_path)
    load_all(seen)
    assert seen.compiled == [cache.get_cache_key(second)]

    again = Counting(tmp_path)
    load_all(again)
    assert again.compiled == []


def test_entries_are_found_wherever_the_layer_is_unpacked() -> None:
    cache = ShippedBytecode(Path("/unused"))
    at_build = cache.get_cache_key("email/welcome.html", "/tmp/sam-build/python/cerchia/templates/email/welcome.html")
    in_lambda = cache.get_cache_key("email/welcome.html", "/opt/python/cerchia/templates/email/welcome.html")
    assert at_build == in_lambda
    assert at_build != cache.get_cache_key("email/welcome.txt")


def test_a_directory_that_cannot_be_written_still_renders(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory", encoding="utf-8")
    cache = Counting(blocked / "__compiled__")

    page = environment(True, cache).from_string("<p>{{ name }}</p>").render(name="Ada & \u202egiulia")

    assert page == "<p>Ada &amp; giulia</p>"
    load_all(cache)
    assert len(cache.compiled) == len(template_names())
    assert blocked.read_text(encoding="utf-8") == "not a directory"
