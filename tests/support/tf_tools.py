"""Hand synthesized stacks to the real terraform binary, with the offline AWS provider mirror.

The mirror holds hashicorp/aws only, so helm and kubernetes parts are stripped first: their
providers, resources and data sources, and every depends_on that points at them.
"""

from __future__ import annotations

import contextlib
import copy
import shutil
import subprocess
from pathlib import Path
from typing import Any

KUBE_PREFIXES = ("helm_", "kubernetes_")
KUBE_PROVIDERS = ("helm", "kubernetes")


def find_mirror() -> Path | None:
    for candidate in [Path("/opt/tf-plugins"), *sorted(Path("/").glob("*/tf-plugins"))]:
        if (candidate / "registry.terraform.io" / "hashicorp" / "aws").is_dir():
            return candidate
    return None


def terraform_unavailable() -> str | None:
    """Why terraform tests cannot run here, or None when they can."""
    if not shutil.which("terraform"):
        return "terraform is not on PATH"
    if find_mirror() is None:
        return "no offline provider mirror (tf-plugins with hashicorp/aws) on this machine"
    return None


def cli_config(directory: Path) -> Path:
    mirror = find_mirror()
    path = directory / "terraform.rc"
    path.write_text(
        "provider_installation {\n"
        f'  filesystem_mirror {{\n    path = "{mirror}"\n    include = ["registry.terraform.io/hashicorp/aws"]\n  }}\n'
        '  direct {\n    exclude = ["registry.terraform.io/hashicorp/aws"]\n  }\n}\n'
    )
    return path


def strip_kubernetes(stack: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(stack)
    out.get("terraform", {}).pop("backend", None)
    providers = out.get("terraform", {}).get("required_providers", {})
    for name in KUBE_PROVIDERS:
        providers.pop(name, None)
        out.get("provider", {}).pop(name, None)
    for block in ("resource", "data"):
        for kind in list(out.get(block, {})):
            if kind.startswith(KUBE_PREFIXES):
                del out[block][kind]
    for kind in out.get("resource", {}).values():
        for body in kind.values():
            if "depends_on" in body:
                body["depends_on"] = [d for d in body["depends_on"] if not d.startswith(KUBE_PREFIXES)]
    return out


def run(args: list[str], cwd: Path, env: dict[str, str], timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def report(config: Any, title: str, lines: list[str]) -> None:
    """Each command of a test and its wall time, on the terminal even under -q."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or not lines:
        return
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        reporter.write_line("")
        reporter.write_line(title)
        for line in lines:
            reporter.write_line(f"  {line}")
