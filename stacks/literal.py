"""The fleet file is data, never code: every string it holds reaches Terraform as that string.

Terraform reads each string of a `cdk.tf.json` as a template: `${ ... }` is an expression and
`%{ ... }` a directive, evaluated at plan time on whatever machine runs it (a PR's `cdktf diff`
job included). So a Helm value like `${file("/proc/self/environ")}` would print the runner's
credentials into a plan posted as a PR comment. Terraform's own escapes are `$${` for a literal
`${` and `%%{` for a literal `%{`.

`terraform_literals` is the one place this happens: `stacks.app.build` hands every stack a copy of
the validated fleet in which each string - field values, dict keys and list items at any depth,
names, descriptions, Helm values - is escaped, so no stack and no construct ever sees a raw fleet
string. Strings the stacks write themselves (cdktf tokens, `${aws_...}` references) are not
touched. Names the model restricts to `[a-z0-9-]` are unchanged by the escape.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, TypeVar

from pydantic import BaseModel

T = TypeVar("T")


def terraform_literal(text: str) -> str:
    """`text` as a Terraform template that evaluates to exactly `text`."""
    return text.replace("${", "$${").replace("%{", "%%{")


def terraform_literals(value: T) -> T:
    """A copy of `value` (a fleet model, or any part of one) with every string escaped by
    `terraform_literal`: model fields, mapping keys and values, list, tuple and set items."""
    return _escaped(value)


def _escaped(value: Any) -> Any:
    if isinstance(value, Enum):  # a phase or kind: a fixed name, never user text
        return value
    if isinstance(value, str):
        return terraform_literal(value)
    if isinstance(value, BaseModel):
        fields = {name: _escaped(getattr(value, name)) for name in type(value).model_fields}
        return value.model_copy(update=fields)
    if isinstance(value, dict):
        return type(value)((_escaped(key), _escaped(item)) for key, item in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return type(value)(_escaped(item) for item in value)
    return value
