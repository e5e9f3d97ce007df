"""What a profile-image upload costs a web worker, and what it costs the Celery worker, measured apart.

    .venv/bin/python bench/image_upload.py                 # both cases, 25 runs each
    .venv/bin/python bench/image_upload.py --runs 40 --case photo

Cases:

``photo``
    A 12 MP phone-size JPEG (4032x3024, quality 90, with EXIF and GPS), made by
    upscaling a photo of the exercise catalogue (``--source``). Being upscaled it is
    smooth, so it compresses to about 1 MB.
``grainy-photo``
    The same with sensor-like grain added, about 4 MB: the size of a real phone photo,
    and close to the 5 MB limit.
``tall-png``
    A 1 x 39,000,000 greyscale PNG: about 76 KB on the wire, 39 megapixels once decoded.

Both are generated into ``--work-dir`` (default ``/tmp/fitcore-bench-image``), never
into the repository. Django runs in this process with ``fitcore.settings.testing``
against a throwaway SQLite database and media directory in the work directory
(``DATABASE_URL`` wins when set).

Each run builds the multipart request first, then times ``MeImageView`` alone
(parsing, checks, storage, database, rendering the response) with the callbacks the
request registers for "after commit" captured, not run: that is the web worker's
share. Then it times those callbacks on their own; with eager Celery that is the
image task, i.e. the worker's share. Every run happens inside a transaction that is
rolled back, so each starts from a profile without an image. Prints medians.

The script also runs against older checkouts (where the upload is processed inside
the request and nothing is deferred), so the numbers can be compared.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = ROOT.parent / "shared" / "data" / "exercises" / "images" / "Barbell_Squat" / "0.jpg"
URL = "/api/v1/users/me/image/"


def make_photo(source: Path, target: Path) -> Path:
    """A 4032x3024 quality-90 JPEG with the EXIF a phone writes (make, orientation, GPS)."""
    if target.exists():
        return target
    from PIL import Image

    with Image.open(source) as picture:
        big = picture.convert("RGB").resize((4032, 3024), Image.Resampling.BICUBIC)
    exif = Image.Exif()
    exif[0x010F] = "BenchPhone"  # Make
    exif[0x0112] = 1  # Orientation
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (52.0, 31.0, 12.0), "E", (13.0, 24.0, 36.0)
    big.save(target, format="JPEG", quality=90, exif=exif.tobytes())
    return target


def make_grainy_photo(photo: Path, target: Path) -> Path:
    if target.exists():
        return target
    from PIL import Image, ImageChops

    with Image.open(photo) as picture:
        exif = picture.getexif()
        noise = Image.effect_noise(picture.size, 8).convert("RGB")
        grainy = ImageChops.add(picture.convert("RGB"), noise, offset=-128)
    grainy.save(target, format="JPEG", quality=90, exif=exif.tobytes())
    return target


def make_tall_png(target: Path) -> Path:
    """1 x 39,000,000 pixels: under the old 40 MP cap, about 76 KB compressed."""
    if target.exists():
        return target
    from PIL import Image

    Image.new("L", (1, 39_000_000)).save(target, format="PNG", optimize=True)
    return target


def setup_django(work_dir: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fitcore.settings.testing")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{work_dir / 'bench.sqlite3'}")
    os.environ["MEDIA_ROOT"] = str(work_dir / "media")
    sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    django.setup()
    setup_test_environment()  # the request factory's host, "testserver", becomes an allowed host
    call_command("migrate", verbosity=0)


def bench(data: bytes, name: str, content_type: str, runs: int) -> dict[str, Any]:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import transaction
    from django.test import TestCase
    from rest_framework.test import APIRequestFactory, force_authenticate

    from users.models import User
    from users.views import MeImageView

    user = User.objects.filter(email="bench-image@example.com").first() or User.objects.create_user(
        "bench-image@example.com", None
    )
    view = MeImageView.as_view()
    factory = APIRequestFactory()
    request_ms: list[float] = []
    task_ms: list[float] = []
    statuses: set[int] = set()
    deferred: set[int] = set()
    for _ in range(runs):
        with transaction.atomic():
            request = factory.post(URL, {"image": SimpleUploadedFile(name, data, content_type)}, format="multipart")
            caller = User.objects.get(pk=user.pk)  # a fresh principal, as authentication would load it
            force_authenticate(request, user=caller)
            callbacks: list[Callable[[], Any]]
            with TestCase.captureOnCommitCallbacks() as callbacks:
                started = time.perf_counter()
                response = view(request)
                response.render()
                request_ms.append((time.perf_counter() - started) * 1000)
            statuses.add(response.status_code)
            deferred.add(len(callbacks))
            started = time.perf_counter()
            for callback in callbacks:
                callback()
            task_ms.append((time.perf_counter() - started) * 1000)
            transaction.set_rollback(True)
    return {
        "status": sorted(statuses),
        "deferred_callbacks": sorted(deferred),
        "request_ms": statistics.median(request_ms),
        "request_ms_min": min(request_ms),
        "task_ms": statistics.median(task_ms) if any(deferred) else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=25)
    parser.add_argument("--case", choices=["photo", "grainy-photo", "tall-png", "all"], default="all")
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--work-dir", type=Path, default=Path(tempfile.gettempdir()) / "fitcore-bench-image")
    args = parser.parse_args()

    args.work_dir.mkdir(parents=True, exist_ok=True)
    cases: dict[str, tuple[Path, str, str]] = {}
    photo = make_photo(args.source, args.work_dir / "photo-12mp.jpg")
    if args.case in ("photo", "all"):
        cases["photo"] = (photo, "photo.jpg", "image/jpeg")
    if args.case in ("grainy-photo", "all"):
        cases["grainy-photo"] = (
            make_grainy_photo(photo, args.work_dir / "photo-12mp-grainy.jpg"),
            "photo.jpg",
            "image/jpeg",
        )
    if args.case in ("tall-png", "all"):
        cases["tall-png"] = (make_tall_png(args.work_dir / "tall-1x39m.png"), "tall.png", "image/png")

    setup_django(args.work_dir)
    try:
        print(f"medians of {args.runs} runs, in ms; (min) is the fastest request")
        print(f"{'case':<13} {'bytes':>9} {'status':>7} {'request ms':>11} {'(min)':>7} {'task ms':>8}")
        for case, (path, name, content_type) in cases.items():
            data = path.read_bytes()
            result = bench(data, name, content_type, args.runs)
            task = "-" if result["task_ms"] is None else f"{result['task_ms']:.1f}"
            status = ",".join(str(code) for code in result["status"])
            print(
                f"{case:<13} {len(data):>9} {status:>7} {result['request_ms']:>11.1f} "
                f"{result['request_ms_min']:>7.1f} {task:>8}"
            )
    finally:
        shutil.rmtree(args.work_dir / "media", ignore_errors=True)


if __name__ == "__main__":
    main()
