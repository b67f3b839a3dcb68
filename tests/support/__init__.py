"""Test support code: the AWS emulator, terraform helpers, ArgoCD schemas, fleet strategies and edge cases."""
