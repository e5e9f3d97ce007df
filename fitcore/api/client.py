"""Who is on the other end of the connection, by one rule for throttles and lockouts alike."""

from django.http import HttpRequest
from rest_framework.settings import api_settings


def client_address(request: HttpRequest) -> str:
    """REMOTE_ADDR, or, behind NUM_PROXIES trusted proxies, the address the outermost one saw.

    X-Forwarded-For is trusted only that far: any client can send the header, so with
    NUM_PROXIES=0 (the default) it is ignored, and rotating it cannot dodge a limit.
    """
    remote = str(request.META.get("REMOTE_ADDR", ""))
    proxies = api_settings.NUM_PROXIES or 0
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if proxies <= 0 or not forwarded:
        return remote
    hops = [hop.strip() for hop in forwarded.split(",")]
    return hops[-min(proxies, len(hops))]
