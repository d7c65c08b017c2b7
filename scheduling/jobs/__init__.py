"""Background jobs: the APScheduler setup, the leader lock and the services jobs call."""
