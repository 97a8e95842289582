"""The gateway's web pages: static files, no build step, no external assets."""
