"""What a PR may change: phase rules, stack diff, replacement table, guard, sources, state, and the PR comment."""
