"""The work that runs beside requests: the job runners, wired once (runners.py) for the serving
process on the embedded default and for `laneway worker` (worker.py), and the housekeeping
(housekeeping.py). Composition: it builds the domains' runners; nothing below imports it."""
