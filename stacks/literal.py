"""The fleet file is data, never code: every string it holds reaches Terraform as that string.

Two readers would otherwise take fleet text for code.

Terraform reads each string of a `cdk.tf.json` as a template: `${ ... }` is an expression and
`%{ ... }` a directive, evaluated at plan time on whatever machine runs it (a PR's `cdktf diff`
job included). So a Helm value like `${file("/proc/self/environ")}` would print the runner's
credentials into a plan posted as a PR comment. Terraform's own escapes are `$${` for a literal
`${` and `%%{` for a literal `%{`.

cdktf reads every string, number and list a stack hands it for its own token encodings before it
writes the JSON, and puts in their place what the token stands for: a resource's attribute, or,
for one of another stack, a `terraform_remote_state` here and an output there; an unknown one
fails the synth. What it decodes (cdktf 0.21, lib/tokens/private/encoding.ts, token-map.ts and
resolve.ts; the placeholders in lib/tokens/token.ts):
- `${TfToken[KEY]}`, `#{TfToken[KEY]}` and `&{TfToken[KEY]}` (KEY matching `[a-zA-Z0-9:._-]+`):
  a string, list and map token, anywhere in a string (a map token: in a map key, or in a
  function's argument);
- in any string, a match of `NUMBER_TEXT` whose JavaScript `parseFloat` is a number token
  (below): a number token turned into text;
- the whole strings `MAP_PLACEHOLDERS`: a map token's values, out of place;
- a number whose top 16 bits are `NUMBER_TOKEN_TAG` (~ -8.11e298) or, in a list,
  `NUMBER_LIST_TOKEN_TAG` (~ -1.89e289). (cdktf also refuses the number -123456789, a number
  map token's value, but only where it reads a number: the fleet's numbers it reads as numbers
  are bounded counts, sizes and ports; Helm values reach it as JSON text.)
cdktf has no escape for any of them. In a string, `BREAK` - a directive that writes nothing - is
put inside each such text: cdktf no longer finds it, Terraform evaluates the string as written.
A number cannot hold a directive: a fleet number that is a token encoding is refused.

`terraform_literals` is the one place this happens: `stacks.app.build` hands every stack a copy of
the validated fleet in which each string - field values, dict keys and list items at any depth,
names, descriptions, Helm values - is escaped, so no stack and no construct ever sees a raw fleet
string. Strings the stacks write themselves (cdktf tokens, `${aws_...}` references) are not
touched. A string with none of the texts above is unchanged: a name the model restricts to
`[a-z0-9-]` changes only if it holds a number token's text (`a-82e297`).

One block is not a template: Terraform reads a backend's settings as written. The fleet fields it
is built from (`BACKEND_FIELDS`) must need no escape, and one that would is refused.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, TypeVar

from pydantic import BaseModel

from fleet.model import Fleet
from fleet.tokens import CDKTF_TOKEN, MAP_PLACEHOLDERS, is_token_number, number_token_text_at

T = TypeVar("T")

BREAK = "%{if false}%{endif}"
"""A Terraform directive that writes nothing. It holds no character `json.dumps` escapes (Helm
values travel as JSON text), and it is never put after a `%` (which would escape it)."""

BACKEND_FIELDS = ("name", "region", "state")
"""The fleet fields `stacks.common` builds each stack's backend block from."""


class CdktfTokenError(ValueError):
    """Fleet data that cdktf would read as one of its tokens, where no escape can go."""


def terraform_literal(text: str) -> str:
    """`text` as a Terraform template that evaluates to exactly `text`, holding no cdktf token."""
    escaped = CDKTF_TOKEN.sub(lambda start: start[0] + BREAK, text.replace("${", "$${").replace("%{", "%%{"))
    if escaped in MAP_PLACEHOLDERS:
        escaped = escaped[0] + BREAK + escaped[1:]
    while (at := number_token_text_at(escaped)) is not None:
        escaped = escaped[:at] + BREAK + escaped[at:]
    return escaped


def terraform_literals(value: T) -> T:
    """A copy of `value` (a fleet model, or any part of one) with every string escaped by
    `terraform_literal`: model fields, mapping keys and values, list, tuple and set items.
    Raises `CdktfTokenError` for a number that is a cdktf token, and for a fleet whose
    `BACKEND_FIELDS` the escape would change."""
    if isinstance(value, Fleet):
        for field in BACKEND_FIELDS:
            _refuse_escapes(field, getattr(value, field))
    return _escaped(value)


def _refuse_escapes(where: str, value: Any) -> None:
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            _refuse_escapes(f"{where}.{name}", getattr(value, name))
    elif isinstance(value, str) and terraform_literal(value) != value:
        raise CdktfTokenError(
            f"{where}: {value!r} holds text cdktf reads as one of its tokens, and the backend block "
            "(which Terraform reads as written) can hold no escape; choose another"
        )


def _escaped(value: Any) -> Any:
    if isinstance(value, Enum):  # a phase or kind: a fixed name, never user text
        return value
    if isinstance(value, str):
        return terraform_literal(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if is_token_number(value):
            raise CdktfTokenError(
                f"the number {value!r} in the fleet file is how cdktf writes one of its tokens "
                "(it would read it as a reference); write another number"
            )
        return value
    if isinstance(value, BaseModel):
        fields = {name: _escaped(getattr(value, name)) for name in type(value).model_fields}
        return value.model_copy(update=fields)
    if isinstance(value, dict):
        return type(value)((_escaped(key), _escaped(item)) for key, item in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return type(value)(_escaped(item) for item in value)
    return value
