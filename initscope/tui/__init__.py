"""The terminal explorer (Textual). `initscope.tui.app.main(cfg, args)` starts it."""
