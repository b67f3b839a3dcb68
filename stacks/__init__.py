"""Stacks wire the constructs from the fleet model. Only this package joins the two.

Importing it makes the provider bindings load only the submodules the stacks and constructs
import (`stacks.bindings`): a synth pays for a few dozen AWS resources, not ~2,140."""

from stacks.bindings import load_lazily

load_lazily()
