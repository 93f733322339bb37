"""The Train tab (`tab.py`): its form, figures, status line and scoreboard, one module each."""
