"""gunicorn in production: `gunicorn -c config/gunicorn.py config.wsgi` behind a TLS proxy."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count() + 1))
# Imports and the export page's files are background jobs (`manage.py jobs_worker`); reports
# and the synchronous GET /api/export/ are still computed inside their request.
timeout = 300
graceful_timeout = 60
# Report workers hold pandas and matplotlib memory: renew them now and then.
max_requests = 1000
max_requests_jitter = 100
# The application (Django, pandas, lifelines with scipy: config/wsgi.py) is loaded once in
# the master and each worker forks from it: a renewed worker serves at once, instead of
# spending two seconds of CPU on imports while the others take its share. Nothing opens a
# database connection while the application loads, so no worker inherits one.
preload_app = True
accesslog = "-"
