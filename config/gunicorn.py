"""gunicorn in production: `gunicorn -c config/gunicorn.py config.wsgi` behind a TLS proxy."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count() + 1))
# An upload of a few hundred cases is checked and imported inside its request (about a
# minute for 300 cases); gunicorn's default 30 s would kill it half-way (it rolls back).
timeout = 300
graceful_timeout = 60
# Report workers hold pandas and matplotlib memory: renew them now and then.
max_requests = 1000
max_requests_jitter = 100
accesslog = "-"
