"""The right-hand tabs, one module each: `weights`, `forward`, `backward`, `audit` (what they share: `base`).
The Theory and Train tabs are packages of their own (`tui/theory/`, `tui/train/`)."""
