"""The audit trail (chain.py) and its pages (views.py)."""
