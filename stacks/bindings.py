"""Load the provider bindings the stacks use, not all of them.

Why: the package `__init__` of each prebuilt provider binding imports every one of its
submodules, one per resource and data source (~2,140 for `cdktf_cdktf_provider_aws` 20.1.0), "to
ensure their types are registered with the jsii runtime". The stacks use a few dozen, yet that
import was ~12 s and ~550 MB of every synth. Each submodule is self-contained: it imports its
package's `_jsii` module (which loads the jsii assembly into the node kernel) and registers its
own types. So this module puts, for each binding package, a module object in `sys.modules`
that has the package's path but does not run its `__init__`; `from cdktf_cdktf_provider_aws.vpc
import Vpc` then loads `_jsii` and `vpc` only. What jsii hands back from JavaScript with a type
of a submodule Python never imported is resolved by the jsii runtime's own lazy-loading hook
(`jsii._reference_map._submodule_fqn_map`, which jsii-pacmak's newer bindings fill in
themselves): `register_fqn_map` fills it for the prebuilt ones, which predate it.

Proven for the versions in `PINNED` (with jsii `JSII`), the ones Pipfile.lock pins:
`tests/test_bindings.py` synthesizes every example both ways and compares the trees byte for
byte, reads values back from jsii both ways, and checks each submodule's jsii name against
`_jsii_submodule`. With any other installed version, `load_lazily` changes nothing and says so
in one line on stderr: the normal (full) import runs.

How to remove it: delete this module and its call in `stacks/__init__.py`; every import in
stacks/ and constructs/ stays as it is. `EPHEMERAL_EKS_FULL_BINDINGS=1` turns it off for a run.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import types
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

PINNED = {
    "cdktf_cdktf_provider_aws": ("cdktf-cdktf-provider-aws", "20.1.0", "@cdktf/provider-aws"),
    "cdktf_cdktf_provider_helm": ("cdktf-cdktf-provider-helm", "12.1.2", "@cdktf/provider-helm"),
    "cdktf_cdktf_provider_kubernetes": ("cdktf-cdktf-provider-kubernetes", "12.1.1", "@cdktf/provider-kubernetes"),
}
"""Python package: (distribution, the version this is proven for, its jsii assembly)."""
JSII = "1.142.0"
"""The jsii runtime whose lazy-loading hook `register_fqn_map` fills."""
FULL_IMPORT_VARIABLE = "EPHEMERAL_EKS_FULL_BINDINGS"


def load_lazily() -> bool:
    """Make each binding package of `PINNED` load only the submodules imported from it; True when
    it did. Does nothing when a package is already imported, when `EPHEMERAL_EKS_FULL_BINDINGS`
    is set, or when an installed version is not the pinned one (then with a warning)."""
    if os.environ.get(FULL_IMPORT_VARIABLE):
        return False
    if any(name in sys.modules for name in PINNED):
        return all(getattr(sys.modules[name], "__lazy_bindings__", False) for name in PINNED)
    mismatch = _version_mismatch()
    if mismatch:
        print(f"warning: {mismatch}; the provider bindings load in full (slower synth)", file=sys.stderr)
        return False
    for name, (_dist, _version, assembly) in PINNED.items():
        package = _package_without_init(name)
        sys.modules[name] = package
        register_fqn_map(assembly, name, Path(package.__path__[0]))
    return True


def _version_mismatch() -> str | None:
    wanted = {dist: pinned for dist, pinned, _ in PINNED.values()} | {"jsii": JSII}
    for dist, pinned in wanted.items():
        try:
            installed = version(dist)
        except PackageNotFoundError:
            return f"{dist} is not installed"
        if installed != pinned:
            return f"{dist} is {installed}, and stacks/bindings.py is proven for {pinned} only"
    return None


def _package_without_init(name: str) -> types.ModuleType:
    """The package `name` with its path and spec, its `__init__` not run; an attribute that names
    a submodule imports it (PEP 562), as the full package would have it already imported."""
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.submodule_search_locations is not None, name
    package = importlib.util.module_from_spec(spec)  # sets __path__, __spec__, __file__; runs nothing

    def __getattr__(attribute: str) -> types.ModuleType:
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        try:
            return importlib.import_module(f"{name}.{attribute}")
        except ModuleNotFoundError as missing:
            raise AttributeError(f"module {name!r} has no attribute {attribute!r}") from missing

    package.__dict__.update(__getattr__=__getattr__, __lazy_bindings__=True)
    return package


def _jsii_submodule(python_name: str) -> str:
    """A submodule's jsii name from its Python name, as jsii-pacmak derives one from the other:
    `data_aws_vpc` <- `dataAwsVpc` (tests/test_bindings.py checks every submodule)."""
    head, *rest = python_name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def register_fqn_map(assembly: str, package: str, path: Path) -> None:
    """Tell the jsii runtime which Python module holds each jsii submodule of `assembly`, so a
    type it meets before Python imported its module is imported then (jsii's
    `_try_import_type_module`), instead of failing with "Unknown type"."""
    from jsii import _reference_map

    _reference_map._submodule_fqn_map.update(
        {
            f"{assembly}.{_jsii_submodule(entry.name)}": f"{package}.{entry.name}"
            for entry in os.scandir(path)
            if entry.is_dir() and not entry.name.startswith("_")
        }
    )
