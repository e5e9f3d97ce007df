"""PostgreSQL (django.db.backends.postgresql) with a health check that costs no round trip."""
