"""Stacks wire the constructs from the fleet model. Only this package joins the two."""
