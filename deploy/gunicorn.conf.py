"""gunicorn settings for production and for `make run`.

Sync workers: each request is one short PostgreSQL transaction (see pec.tenancy);
2 × cores + 1 workers is the usual starting point, tune with WEB_CONCURRENCY.
"""

import multiprocessing
import os

bind = os.environ.get("PEC_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = 1
timeout = 60
graceful_timeout = 20
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
# Method, path without the query string (%(U)s, never %(r)s or %(q)s), status, size, time,
# user agent and request id; no Referer (%(f)s), which carries the previous page's query.
# Patient searches are POSTs, but a query string may still name someone.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)s "%(a)s" %({x-request-id}i)s'
# gunicorn's control socket sits at one fixed path per user; several instances on one
# machine (tests, staging) would fight over it, and systemd already controls the process.
control_socket_disable = True
# Behind nginx: trust X-Forwarded-* only from the local proxy.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
