"""What the fleet file may ask for, kept in one place.

Each list is the single source for validation, for the README and for the tests.
"""

KUBERNETES_VERSIONS: tuple[str, ...] = ("1.30", "1.31", "1.32", "1.33")
"""EKS Kubernetes minor versions a generation may run. Add a version here (and nowhere else)
when EKS releases it; drop one when EKS ends its support."""
