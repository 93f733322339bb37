"""`python -m initscope` runs the same front door as the `initscope` command."""

from initscope.cli import command

raise SystemExit(command())
