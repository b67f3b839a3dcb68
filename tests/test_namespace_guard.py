"""The top-level constructs/ folder lives beside the `constructs` library (pkgutil.extend_path)."""

import importlib

from support.paths import ROOT


def test_constructs_folder_has_no_init_file_that_would_shadow_the_library():
    assert not (ROOT / "constructs" / "__init__.py").exists(), (
        "constructs/__init__.py shadows the constructs library and breaks cdktf; delete it"
    )


def test_library_construct_and_project_constructs_both_import():
    from constructs import Construct

    for module in (
        "eks_cluster",
        "shared_argo_role",
        "private_endpoint_access",
        "argocd_cluster",
        "target_cluster",
        "fleet_traffic",
    ):
        importlib.import_module(f"constructs.{module}")
    from constructs.argocd_cluster import ArgoCdCluster
    from constructs.target_cluster import TargetCluster

    assert issubclass(ArgoCdCluster, Construct)
    assert issubclass(TargetCluster, Construct)
