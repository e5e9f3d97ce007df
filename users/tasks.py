"""Profile images are decoded and re-encoded by a worker, never in a request (see users.images).

Tasks take ids, the tenant id and the name of the stored original, and re-read their
rows: by the time a worker runs, a newer upload or a delete may have superseded them.
"""

from celery import shared_task

# Generous for one image of at most 40 MP; a file that takes longer is treated as damaged.
SOFT_TIME_LIMIT = 60
TIME_LIMIT = 90


@shared_task(name="users.process_profile_image", soft_time_limit=SOFT_TIME_LIMIT, time_limit=TIME_LIMIT)
def process_profile_image(*, tenant_id: int, profile_id: int, pending_name: str) -> None:
    from .services import profile_image_process  # services queue this task: import at call time

    profile_image_process(tenant_id=tenant_id, profile_id=profile_id, pending_name=pending_name)
