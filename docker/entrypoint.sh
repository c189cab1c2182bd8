#!/usr/bin/env bash
# The image's entrypoint: one image, many commands.
#   web            the production web server (gunicorn; PORT, WEB_CONCURRENCY); never migrates
#   worker         background jobs (case runs, snapshots, nightly runs); run as many as you like
#   migrate        apply database migrations (run it as a one-off container before `web`)
#   manage ARGS…   any Django management command, e.g. `manage createsuperuser`
#   demo           the embedded demo (SQLite in /data + built-in engine + demo case)
#   shell          bash
#   anything else  exec'd as given
# Commands that use the database first wait for it (SEARCHBENCH_DB_WAIT seconds, then a clear error).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)

wait_for_db() {
    python "$HERE/wait_for_db.py"
}

cmd=${1:-web}
[ $# -gt 0 ] && shift

case "$cmd" in
    web)
        wait_for_db
        exec gunicorn --config "$HERE/gunicorn.conf.py" "$@" searchbench.web.wsgi:application
        ;;
    worker)
        wait_for_db
        exec searchbench worker "$@"
        ;;
    migrate)
        wait_for_db
        exec django-admin migrate --noinput "$@"
        ;;
    manage)
        wait_for_db
        exec django-admin "$@"
        ;;
    demo)
        exec searchbench demo --host 0.0.0.0 --port "${PORT:-8000}" "$@"
        ;;
    shell)
        exec bash "$@"
        ;;
    *)
        exec "$cmd" "$@"
        ;;
esac
