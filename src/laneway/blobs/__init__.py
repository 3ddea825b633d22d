"""Where attachments' bytes live: in their row or in a file of their own (store.py), and what
those bytes are (content.py, media types from magic numbers). Infrastructure, like the database:
the attachments' routes and rules (attachments/), a task's deletion, the housekeeping and the
backup all use it."""
