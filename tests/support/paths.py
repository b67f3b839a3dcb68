"""Where things are, for every test: the repository root and its examples, once."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
SHARED_SCHEMAS = ROOT.parent / "shared" / "schemas"
"""ArgoCD's CRD schemas, where the machine provides them beside the clone (else the npm copy)."""
