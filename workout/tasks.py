"""Activity files are parsed by a worker, never in the request (a 100,000-point file takes seconds)."""

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

# A 16 MB FIT file (WORKOUT_IMPORT_MAX_BYTES) decodes in under two minutes here.
SOFT_TIME_LIMIT = 240
TIME_LIMIT = 270


@shared_task(name="workout.import_activity", soft_time_limit=SOFT_TIME_LIMIT, time_limit=TIME_LIMIT)
def import_activity(*, import_id: int) -> None:
    from .models import ActivityImport
    from .services import _import_failed, activity_import_run  # services queue this task

    try:
        activity_import_run(import_id=import_id)
    except SoftTimeLimitExceeded:
        record = ActivityImport.unscoped.get(pk=import_id)
        _import_failed(record, "The file took too long to read; it may be damaged.")


@shared_task(name="workout.generate_program", soft_time_limit=120, time_limit=150)
def generate_program(*, program_id: int) -> None:
    """A generated program: rules (and the LLM, when configured) in a worker, never in the request."""
    from .planning.service import run_program

    run_program(program_id=program_id)
