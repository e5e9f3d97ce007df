# syntax=docker/dockerfile:1

# ---- builder: compile/install dependencies into a self-contained venv -------
FROM python:3.11-slim AS builder

# Compilers only for a dependency that has no wheel for this platform; they
# never reach the final image.
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
# Same path as in the final stage: a venv's scripts hard-code their interpreter path.
RUN python -m venv /opt/venv
# Requirements alone first, so code changes don't invalidate this layer.
COPY requirements/ /tmp/requirements/
RUN /opt/venv/bin/pip install -r /tmp/requirements/production.txt


# ---- final: runtime only ------------------------------------------------------
FROM python:3.11-slim

# No extra system libraries: psycopg[binary], Pillow and argon2-cffi wheels
# bundle the native libraries they need.

RUN groupadd --system --gid 10001 fitcore \
    && useradd --system --uid 10001 --gid fitcore --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin fitcore

ENV PATH="/opt/venv/bin:$PATH" \
    PYTHONPATH=/app \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=fitcore.settings.production

COPY --from=builder /opt/venv /opt/venv

WORKDIR /app
# Code stays root-owned (read-only to the app user); only media is writable.
COPY . /app
RUN chmod 0755 /app/entrypoint.sh \
    && mkdir -p /app/media \
    && chown fitcore:fitcore /app/media

# Static files ship in the image (whitenoise serves them). Production settings
# insist on a SECRET_KEY and ALLOWED_HOSTS at import time: a random key made for
# this one command and a throw-away host satisfy them; neither is kept in the image.
RUN SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
    ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput

USER fitcore
EXPOSE 8000

# Liveness only (/healthz touches no dependency). Django answers 400 to a Host
# it doesn't serve, so the probe presents the first of ALLOWED_HOSTS.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as r; h = os.environ.get('ALLOWED_HOSTS', '').split(',')[0].strip().lstrip('.').replace('*', '') or 'localhost'; r.urlopen(r.Request('http://127.0.0.1:8000/healthz', headers={'Host': h}), timeout=4)"]

ENTRYPOINT ["/app/entrypoint.sh"]
# Worker count: WEB_CONCURRENCY, read by gunicorn.conf.py.
CMD ["gunicorn", "fitcore.wsgi:application", "--config", "gunicorn.conf.py"]
