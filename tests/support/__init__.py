"""Test support code: fleet helpers (examples, edits), fleet strategies and edge cases, the AWS emulator,
terraform helpers, ArgoCD schemas. Tests import it as `support.<module>` (tests/ is on the path)."""
