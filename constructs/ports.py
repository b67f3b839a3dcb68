"""The one shape every security-group rule of the constructs has: a single TCP port.

Each rule opens exactly one port (443 and 80 on the ALB, the app's port, the Kubernetes API),
never a range: `**one_tcp_port(port)` in a `VpcSecurityGroupIngressRule` or `...EgressRule` says
so once instead of three arguments that must agree.
"""

from __future__ import annotations

from typing import Literal, TypedDict


class PortRule(TypedDict):
    ip_protocol: Literal["tcp"]
    from_port: int
    to_port: int


def one_tcp_port(port: int) -> PortRule:
    return {"ip_protocol": "tcp", "from_port": port, "to_port": port}
