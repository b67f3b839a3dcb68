"""The top-level constructs/ folder lives beside the `constructs` library (pkgutil.extend_path)."""

import importlib

from support.paths import ROOT


def test_constructs_folder_has_no_init_file_that_would_shadow_the_library():
    assert not (ROOT / "constructs" / "__init__.py").exists(), (
        "constructs/__init__.py shadows the constructs library and breaks cdktf; delete it"
    )


def test_library_construct_and_project_constructs_both_import():
    """Every module of the top-level constructs/ folder imports beside the library, whatever is added."""
    from constructs import Construct

    modules = sorted(path.stem for path in (ROOT / "constructs").glob("*.py"))
    assert {"argocd_cluster", "target_cluster", "shared_argo_role", "private_endpoint_access"} <= set(modules)
    for module in modules:
        importlib.import_module(f"constructs.{module}")
    from constructs.argocd_cluster import ArgoCdCluster
    from constructs.target_cluster import TargetCluster

    assert issubclass(ArgoCdCluster, Construct)
    assert issubclass(TargetCluster, Construct)
