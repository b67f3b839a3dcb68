"""Trust policies for EKS Pod Identity roles, narrowed by the session tags Pod Identity sets."""

from __future__ import annotations

import json

POD_IDENTITY_SERVICE = "pods.eks.amazonaws.com"


def pod_identity_trust_policy(
    *,
    account_id: str,
    namespace: str,
    service_accounts: tuple[str, ...],
    cluster_name_pattern: str,
) -> str:
    """Only Pod Identity, only for these service accounts in `namespace`, only on clusters whose
    name matches `cluster_name_pattern` (StringLike), only in this account."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "PodIdentity",
                    "Effect": "Allow",
                    "Principal": {"Service": POD_IDENTITY_SERVICE},
                    "Action": ["sts:AssumeRole", "sts:TagSession"],
                    "Condition": {
                        "StringEquals": {
                            "aws:SourceAccount": account_id,
                            "aws:RequestTag/kubernetes-namespace": namespace,
                            "aws:RequestTag/kubernetes-service-account": list(service_accounts),
                        },
                        "StringLike": {"aws:RequestTag/eks-cluster-name": cluster_name_pattern},
                    },
                }
            ],
        }
    )
