"""Background jobs: case runs split into chunks, snapshots and nightly runs, done by
``searchbench worker`` processes (django-q2 with its queue in the app's database).

- :mod:`.services` is what the web app calls: start a run or a snapshot, cancel, read progress.
- :mod:`.tasks` holds the functions the workers run (a chunk of a case, a snapshot, the nightly
  runs) and the one place a run is finished.
- :mod:`.worker` runs the django-q2 cluster (``searchbench worker``) and stops it cleanly.
- :mod:`.ratelimit` keeps endpoints' requests-per-minute budgets in the database, so every
  process that calls an endpoint shares one budget.

How it fits together: docs/jobs.md.
"""
