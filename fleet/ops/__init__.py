"""Finishing a swap: the planner (edits, steps, rendering) and the live checks (AWS and Kubernetes clients)."""
