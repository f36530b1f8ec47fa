"""Gunicorn settings for production and for the benchmark.

Run with ``gunicorn -c gunicorn.conf.py``; every value below can be changed through
the environment variable next to it, so deployments and ``make bench`` share one file.
See docs/deploy.md for how these defaults were chosen.
"""

import os

# Loopback by default: put a reverse proxy in front (docs/deploy.md) rather than
# exposing gunicorn directly.
bind = os.environ.get("VERSUS_BIND", "127.0.0.1:8000")
wsgi_app = os.environ.get("VERSUS_WSGI_APP", "versus:create_app()")

# Processes for CPU, threads to overlap the waits on Redis and the database.
workers = int(os.environ.get("VERSUS_WORKERS", "2"))
worker_class = os.environ.get("VERSUS_WORKER_CLASS", "gthread")
threads = int(os.environ.get("VERSUS_THREADS", "4"))
# At most this many open connections per worker (gthread). Without a cap, one
# worker can accept every keep-alive connection of a burst while the other idles;
# measured in docs/benchmarks.md. Keep it at or above the reverse proxy's
# upstream keep-alive pool divided by the number of workers (docs/deploy.md).
worker_connections = int(os.environ.get("VERSUS_WORKER_CONNECTIONS", "16"))
backlog = 2048
keepalive = int(os.environ.get("VERSUS_KEEPALIVE", "5"))

# A worker that hangs longer than this is killed and replaced.
timeout = int(os.environ.get("VERSUS_WORKER_TIMEOUT", "30"))
graceful_timeout = 20

# Each worker builds its own app: connection pools must not cross a fork.
preload_app = False

# The site decides which proxy headers to trust (VERSUS_TRUSTED_PROXIES, through
# Werkzeug's ProxyFix), so gunicorn trusts none. Its default would accept
# X-Forwarded-Proto from any client on 127.0.0.1.
forwarded_allow_ips = ""

# Access logs belong to the reverse proxy; gunicorn keeps its own error log. When
# one is turned on, its format leaves out the client address and carries the
# request id that the site's own log lines use.
accesslog = os.environ.get("VERSUS_ACCESS_LOG") or None
access_log_format = '%(t)s "%(r)s" %(s)s %(B)s %(M)sms id=%({x-request-id}o)s'
errorlog = "-"
loglevel = os.environ.get("VERSUS_LOG_LEVEL", "info")


def post_fork(server, worker) -> None:
    server.log.info("Worker %s started", worker.pid)


def worker_exit(server, worker) -> None:
    server.log.info("Worker %s stopped", worker.pid)
