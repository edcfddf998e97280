"""gunicorn settings for `make serve` (production). Override with environment variables."""

import multiprocessing
import os

# Loopback unless told otherwise (HOST=0.0.0.0): the app sits behind an HTTPS reverse proxy,
# and a worker reachable directly would bypass it (and the proxy's X-Forwarded-* headers).
bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
# `make serve` is production: create_app then checks PUBLIC_BASE_URL and TRUSTED_HOSTS.
os.environ.setdefault("ENCAISSE_PRODUCTION", "true")
# Requests are CPU-bound (SQLite in-process, templates): one worker per core, and a second
# thread each to overlap short waits (disk, SMTP). Measured by `make bench` on 2 cores
# (wrk, 20 connections, invoice list and pages, two interleaved rounds on a shared machine):
# 2 workers x 2 threads gave 12-19 % more requests/s and a 27-38 % lower p95 than the former
# 4 x 4 (16 requests time-sliced on 2 cores behind each worker's GIL), with half the memory.
workers = int(os.environ.get("WEB_CONCURRENCY", max(2, min(4, multiprocessing.cpu_count()))))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
worker_class = "gthread"
timeout = 60
graceful_timeout = 20
# Recycle workers now and then: bounds memory growth. A worker's peak RSS stayed at 150 MB
# through the bench's thousands of requests, so every 10,000 (a restart costs a second of CPU).
max_requests = 10000
max_requests_jitter = 1000
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
