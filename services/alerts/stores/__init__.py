"""The alerts store, one module per aggregate (see services/alerts/store.py)."""
