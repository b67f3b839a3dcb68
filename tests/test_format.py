"""The fleet file's format version: an older format is migrated, a later one refused in one line."""

from __future__ import annotations

import pytest
import yaml

from fleet.model.load import FleetError, validate
from fleet.model.migrate import FORMAT, FormatError, migrated
from support.cli import run_fleet
from support.fleets import example_data


def test_a_file_without_format_is_this_releases_format():
    assert validate(example_data("steady"), "x") == validate({**example_data("steady"), "format": FORMAT}, "x")


@pytest.mark.parametrize("written", [FORMAT + 1, 0, "1", True, 1.5])
def test_a_format_this_release_cannot_read_is_one_line_naming_the_field(written):
    with pytest.raises(FleetError) as refused:
        validate({**example_data("steady"), "format": written}, "fleet.yaml")
    [problem] = refused.value.problems
    assert problem.startswith("format: ")


def test_an_older_format_is_migrated_step_by_step_before_it_is_validated():
    """A later release with format 3 reads a format-1 file through its two migrations, in order."""
    old = {**example_data("steady"), "api_access": {"plan_role_arn": "arn:aws:iam::111122223333:role/plan"}}
    seen: list[int] = []

    def drop_plan_role(data):
        seen.append(data["format"] if "format" in data else 1)
        data["api_access"] = {k: v for k, v in data["api_access"].items() if k != "plan_role_arn"}
        return data

    def noop(data):
        seen.append(data["format"])
        return data

    done = migrated(old, known=3, migrations={1: drop_plan_role, 2: noop})
    assert seen == [1, 2] and done["format"] == 3 and "plan_role_arn" not in done["api_access"]
    with pytest.raises(FormatError, match="format: 1 has no migration to 2"):
        migrated(old, known=2, migrations={})


def test_fleet_validate_refuses_a_later_format_with_one_line(tmp_path):
    path = tmp_path / "fleet.yaml"
    path.write_text(yaml.safe_dump({"format": FORMAT + 1, **example_data("steady")}, sort_keys=False))
    done = run_fleet("validate", path)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "is for a later release" in done.stderr
