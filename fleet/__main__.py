"""`python -m fleet`: the fleet's command line (fleet/cli/)."""

import sys

from fleet.cli import run

if __name__ == "__main__":
    sys.exit(run(prog="python -m fleet"))
