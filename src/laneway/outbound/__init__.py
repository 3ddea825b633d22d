"""Calls this process makes to other servers: one pooled HTTP client (client.py) that connects
only to addresses the SSRF guard (ssrf.py) has checked. Infrastructure: it knows nothing of what
is sent (webhook deliveries today)."""
