"""The window's panels (Setup, Data & model, brute force, sweep): widgets that show the session
and send intents; they never import each other (an import-linter contract)."""
