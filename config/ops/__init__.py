"""What a province's IT centre operates the service with (issue 17, part 3): health checks (`health`),
Prometheus metrics (`metrics`), JSON logs with a request id (`logs`, `request_id`), Sentry (`sentry`), and
the heartbeats and timings they read (`heartbeats`, `timings`), recorded from Celery's signals (`signals`).

It lives in `config`, not in an app of its own: `config` is the top layer, the one place allowed to read every
app (the notifications ledger, the tasks outbox, scoring's job names) and `config.auth`'s client address.
The settings import `logs` and `sentry`, so this package imports nothing at module level.
"""
