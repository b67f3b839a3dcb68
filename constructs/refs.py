"""Terraform references built from a resource's address.

Reading an attribute of a cdktf resource (`cluster.endpoint`) is a round trip to the jsii runtime
that returns a token; the token renders as `${aws_eks_cluster.<id>.endpoint}`. Reading the
resource's address (`fqn`) once and writing the references out gives the same JSON for one
round trip instead of one per attribute (three for `certificate_authority[0].data`). Only for
references inside the stack that owns the resource.
"""

from __future__ import annotations

from typing import Protocol


class Addressable(Protocol):
    @property
    def fqn(self) -> str: ...


class Refs:
    """`Refs(resource).attr("certificate_authority[0].data")` -> "${<address>.certificate_authority[0].data}"."""

    def __init__(self, element: Addressable) -> None:
        self.address = element.fqn

    def attr(self, path: str) -> str:
        return f"${{{self.address}.{path}}}"
