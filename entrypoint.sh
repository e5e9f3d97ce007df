#!/bin/sh
# Container entry point. For the web role (gunicorn) it waits for the database
# and applies migrations first; any other command (celery worker/beat,
# manage.py, a shell) runs as given.
set -eu

wait_for_database() {
    python - <<'PY'
import os
import sys
import time

import django
from django.db import connection
from django.db.utils import OperationalError

django.setup()
deadline = time.monotonic() + int(os.environ.get("DB_WAIT_SECONDS", "60"))
while True:
    try:
        connection.ensure_connection()
        break
    except OperationalError as exc:
        if time.monotonic() >= deadline:
            sys.exit(f"entrypoint: database still unreachable, giving up: {exc}")
        print("entrypoint: waiting for the database...", file=sys.stderr, flush=True)
        time.sleep(2)
PY
}

# ${cmd##*/}: also matches a full path such as /opt/venv/bin/gunicorn.
cmd="${1:-}"
if [ "${cmd##*/}" = "gunicorn" ]; then
    wait_for_database
    # Several web replicas may race here; Django's migrate takes no lock, so
    # larger deployments set RUN_MIGRATIONS=0 and migrate as a one-off job.
    if [ "${RUN_MIGRATIONS:-1}" != "0" ]; then
        python manage.py migrate --noinput
    fi
fi

exec "$@"
