"""gunicorn settings for the container's `web` command.

Logs go through searchbench.web.logging, so gunicorn's own messages are JSON lines like the app's.
gunicorn's access lines are dropped (see build_logging_config): RequestIdMiddleware writes one
access line per request, with the request id.
"""

from searchbench import env
from searchbench.web.logging import build_logging_config

bind = f"0.0.0.0:{env.get('PORT')}"
workers = env.get("WEB_CONCURRENCY")
worker_class = "gthread"
threads = 4
# Shorter than the 10 s a container runtime waits after SIGTERM, so in-flight requests finish
# and the process exits on its own instead of being killed.
graceful_timeout = 6
timeout = 60
keepalive = 5
# The root filesystem is read-only; worker heartbeat files go to the tmpfs.
worker_tmp_dir = "/tmp"
accesslog = None
errorlog = "-"
logconfig_dict = build_logging_config()
# The control socket would be created in the data volume; nothing here uses it.
control_socket_disable = True
