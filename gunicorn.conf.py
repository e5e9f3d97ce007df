"""gunicorn settings, from the environment (used by `make run`, Docker and the benchmark)."""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Measured on 2 cores: 2 sync workers beat 4 (see README, "Benchmarks").
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Its maximum (the default is 4094): URLs up to API_MAX_URL_LENGTH reach the app, which answers
# a longer one with its own 414 problem; gunicorn refuses only what is longer still.
limit_request_line = int(os.environ.get("GUNICORN_LIMIT_REQUEST_LINE", "8190"))
# Import Django once in the master and fork workers from it: a recycled worker then
# starts in milliseconds instead of re-importing the app (~3 s of CPU on 2 cores).
preload_app = os.environ.get("GUNICORN_PRELOAD", "true").lower() in {"1", "true", "yes"}
# Bounded worker lifetime limits the damage of a slow leak.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "10000"))
max_requests_jitter = 1000
# The app writes its own JSON access log with the request id.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
