"""The Lambda layer mirrors pyproject's dependencies, and `sam build` makes it for arm64 with no Docker."""

from __future__ import annotations

import glob
import os
import re
import subprocess
import tomllib
from pathlib import Path

import pytest

from cerchia.template_cache import template_names
from cerchia_infra.template_table import load_template

ROOT = Path(__file__).resolve().parents[2]
SAM = ROOT / ".tools" / "sam" / "bin" / "sam"
# The Lambda runtime ships boto3 and botocore; the layer leaves them out.
IN_RUNTIME = {"boto3", "botocore"}
EM_AARCH64 = 183


def requirement_name(line: str) -> str:
    return re.split(r"[\s<>=!~;\[]", line.strip(), maxsplit=1)[0].lower().replace("_", "-")


def normalized(line: str) -> str:
    return re.sub(r"\s+", "", line).lower().replace("_", "-")


def test_layer_requirements_mirror_the_project_dependencies_without_boto3() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    layer_lines = (ROOT / "shared" / "requirements.txt").read_text(encoding="utf-8").splitlines()
    layer = sorted(normalized(line) for line in layer_lines if line.strip() and not line.startswith("#"))
    expected = sorted(normalized(line) for line in project if requirement_name(line) not in IN_RUNTIME)
    assert layer == expected, "shared/requirements.txt must list pyproject's dependencies except boto3"


def python313_dir() -> str | None:
    """A real python3.13's directory (pyenv's, or the system's), as `make build` finds it."""
    candidates = [
        *sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.13*/bin/python3.13"))),
        "/usr/local/bin/python3.13",
        "/usr/bin/python3.13",
    ]
    for candidate in candidates:
        if os.access(candidate, os.X_OK):
            return str(Path(candidate).parent)
    return None


def elf_machine(path: Path) -> int:
    header = path.read_bytes()[:20]
    assert header[:4] == b"\x7fELF", f"{path} is not an ELF shared object"
    return int.from_bytes(header[18:20], "little")


@pytest.mark.slow
def test_sam_build_makes_an_arm64_layer_with_cerchia_and_no_docker(tmp_path: Path) -> None:
    if not SAM.exists():
        pytest.fail(f"SAM CLI not found at {SAM}: run `make tools` (make test does it for you).")
    build_dir = tmp_path / "build"
    path = os.environ.get("PATH", "")
    if (extra := python313_dir()) is not None:
        path = f"{extra}{os.pathsep}{path}"
    env = {**os.environ, "PATH": path, "SAM_CLI_TELEMETRY": "0", "AWS_DEFAULT_REGION": "eu-west-1"}
    result = subprocess.run(
        [str(SAM), "build", "--template", "template.yaml", "--build-dir", str(build_dir)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, f"sam build failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"

    site = build_dir / "SharedLayer" / "python"
    assert (site / "cerchia" / "__init__.py").is_file()
    source = ROOT / "shared" / "cerchia"
    shipped = {
        path.relative_to(source)
        for path in source.rglob("*")
        if path.is_file() and not {"__pycache__", "__compiled__"} & set(path.parts) and path.suffix != ".pyc"
    }
    in_layer = {path.relative_to(site / "cerchia") for path in (site / "cerchia").rglob("*") if path.is_file()}
    assert shipped <= in_layer, f"missing from the layer: {sorted(map(str, shipped - in_layer))[:10]}"
    assert not list((site / "cerchia").rglob("*.cpython-311.pyc")), "bytecode for the wrong Python in the layer"
    if python313_dir() is not None:  # the layer's Python: its templates ship compiled, one entry each
        compiled = sorted((site / "cerchia" / "templates" / "__compiled__").iterdir())
        assert compiled and all(entry.name.endswith(".py313.cache") for entry in compiled), compiled[:3]
        assert len(compiled) == len(template_names())

    cores = list(site.glob("pydantic_core/_pydantic_core*.so"))
    assert cores, "pydantic_core's compiled module is missing from the layer"
    assert all("aarch64" in core.name and "cpython-313" in core.name for core in cores), cores
    assert all(elf_machine(core) == EM_AARCH64 for core in cores)
    shipped_sdk = [name for name in IN_RUNTIME if (site / name).exists()]
    assert not shipped_sdk, f"{shipped_sdk} come with the Lambda runtime; the layer must not ship them"

    template = load_template(ROOT / "template.yaml")
    for name, body in template["Resources"].items():
        if body["Type"] == "AWS::Serverless::Function":
            source = ROOT / body["Properties"]["CodeUri"] / "handler.py"
            built = build_dir / name / "handler.py"
            assert built.is_file() and built.read_bytes() == source.read_bytes(), f"{name} was not built"
