"""State backends and the output directory: local state outside cdktf.out/, S3 with locking,
and a re-synth that keeps what terraform left in each stack directory."""

from __future__ import annotations

import json

from support.paths import ROOT


def _local_state(outdir, stack_id: str):
    path = json.loads((outdir / "stacks" / stack_id / "cdk.tf.json").read_text())["terraform"]["backend"]["local"][
        "path"
    ]
    return (outdir / "stacks" / stack_id / path).resolve()


def test_local_state_is_one_file_per_fleet_and_stack_under_the_project_root_whatever_the_outdir(synth, tmp_path):
    from main import synthesize

    elsewhere = tmp_path / "deep" / "er" / "out"
    synthesize(str(ROOT / "examples" / "steady.yaml"), elsewhere)
    for stack_id in ("shared", "argocd-blue", "target-blue"):
        expected = ROOT / "state" / "acme" / "eu-west-1" / f"{stack_id}.tfstate"
        assert _local_state(synth.outdir("examples/steady.yaml"), stack_id) == expected
        assert _local_state(elsewhere, stack_id) == expected, "CDKTF_OUTDIR does not move the state"


def test_every_services_generations_keep_one_state_file_per_stack_with_no_service_in_it(synth):
    """Stack ids stay target-<gen> (generation names are unique in the fleet), and so do their states."""
    outdir = synth.outdir("examples/two-services.yaml")
    stacks = sorted(p.name for p in (outdir / "stacks").iterdir())
    assert stacks == ["argocd-blue", "shared", "target-apiblue", "target-apigreen", "target-blue"]
    for stack_id in stacks:
        assert _local_state(outdir, stack_id) == ROOT / "state" / "acme" / "eu-west-1" / f"{stack_id}.tfstate"


def test_two_fleets_never_share_a_local_state_file(synth, derived_fleet):
    other = derived_fleet("examples/steady.yaml", "fleet-beta", lambda d: d.update(name="beta"))
    acme = _local_state(synth.outdir("examples/steady.yaml"), "shared")
    beta = _local_state(synth.outdir(other), "shared")
    assert acme != beta and beta == ROOT / "state" / "beta" / "eu-west-1" / "shared.tfstate"


def test_s3_state_is_one_encrypted_locked_object_per_stack(synth, derived_fleet):
    def s3(data):
        data["state"] = {"backend": "s3", "bucket": "acme-tfstate", "region": "eu-west-1", "key_prefix": "fleets/acme"}

    stacks = synth(derived_fleet("examples/steady.yaml", "s3-state", s3))
    for stack_id, stack in stacks.items():
        backend = stack["terraform"]["backend"]["s3"]
        assert backend["bucket"] == "acme-tfstate"
        assert backend["key"] == f"fleets/acme/acme/eu-west-1/{stack_id}.tfstate"
        assert backend["encrypt"] is True
        assert backend["use_lockfile"] is True
        assert "dynamodb_table" not in backend


def test_s3_state_can_lock_with_a_dynamodb_table_instead(synth, derived_fleet):
    def s3(data):
        data["state"] = {"backend": "s3", "bucket": "acme-tfstate", "region": "eu-west-1", "dynamodb_table": "tf-locks"}

    backend = synth(derived_fleet("examples/steady.yaml", "s3-dynamodb", s3))["shared"]["terraform"]["backend"]["s3"]
    assert backend["dynamodb_table"] == "tf-locks"
    assert "use_lockfile" not in backend
    assert backend["key"] == "ephemeral-eks/acme/eu-west-1/shared.tfstate"


def test_resynth_keeps_terraforms_working_files_and_drops_removed_stacks(tmp_path):
    from main import synthesize

    out = tmp_path / "cdktf.out"
    synthesize(str(ROOT / "examples" / "target-swap.yaml"), out)
    providers = out / "stacks" / "target-blue" / ".terraform"
    providers.mkdir()
    (providers / "marker").write_text("provider cache")
    (out / "stacks" / "target-blue" / ".terraform.lock.hcl").write_text("# lock")

    synthesize(str(ROOT / "examples" / "steady.yaml"), out)
    assert (providers / "marker").read_text() == "provider cache"
    assert (out / "stacks" / "target-blue" / ".terraform.lock.hcl").exists()
    assert sorted(p.name for p in (out / "stacks").iterdir()) == ["argocd-blue", "shared", "target-blue"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert sorted(manifest["stacks"]) == ["argocd-blue", "shared", "target-blue"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".cdktf.out")], "staging left behind"


def test_two_fleets_in_one_bucket_have_disjoint_keys(synth, derived_fleet):
    def s3(name):
        def edit(data):
            data["name"] = name
            data["state"] = {"backend": "s3", "bucket": "shared-tfstate", "region": "eu-west-1"}

        return edit

    keys = {}
    for name in ("acme", "beta"):
        stacks = synth(derived_fleet("examples/target-swap.yaml", f"s3-{name}", s3(name)))
        keys[name] = {s["terraform"]["backend"]["s3"]["key"] for s in stacks.values()}
    assert len(keys["acme"]) == len(keys["beta"]) == 4
    assert not keys["acme"] & keys["beta"]


def test_two_fleets_of_one_name_in_two_regions_never_share_a_state(synth, derived_fleet):
    """The region is part of every state key: local files and S3 objects alike."""
    s3 = {"backend": "s3", "bucket": "acme-tfstate", "region": "eu-west-1"}

    def in_region(region: str):
        def edit(data: dict) -> None:
            data.update(region=region, state=s3)
            data["network"]["zones"] = [f"{region}a", f"{region}b", f"{region}c"]
            for service in data["services"].values():
                traffic = service["traffic"]
                for key in ("certificate_arn", "waf_acl_arn"):
                    if key in traffic:
                        traffic[key] = traffic[key].replace("eu-west-1", region)

        return edit

    keys = {
        region: synth(derived_fleet("examples/steady.yaml", f"acme-{region}", in_region(region)))["shared"][
            "terraform"
        ]["backend"]["s3"]["key"]
        for region in ("eu-west-1", "us-east-1")
    }
    assert keys == {
        "eu-west-1": "ephemeral-eks/acme/eu-west-1/shared.tfstate",
        "us-east-1": "ephemeral-eks/acme/us-east-1/shared.tfstate",
    }
