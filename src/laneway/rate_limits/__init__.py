"""Rate limits by tier on the whole API (windows.py counts, tiers.py says whose, middleware.py
answers)."""
