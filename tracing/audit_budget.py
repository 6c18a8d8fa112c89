"""How many audit rows callers who saw nothing may write (docs/jaeger-access.md, "The audit log").

A request to Jaeger or the support console that was sent to the login page or refused
saw no trace data; its row only says that someone knocked. Such rows are written up to
``PER_CALLER`` per window for one caller (a user id, else an address) and ``ANONYMOUS``
for all callers without a session together; beyond that the request is answered as
usual and not audited. A look that was allowed is always audited (``tracing.access``).
"""

import time

from django.core.cache import cache

WINDOW_SECONDS = 60
PER_CALLER = 10
ANONYMOUS = 60


def may_write(*, user_id: int | None, remote_addr: str | None) -> bool:
    """Whether one more row fits this caller's budget; if so, it is spent.

    Counts live in the default cache (shared across workers with ``CACHE_URL``), in a fixed
    window as the sign-in throttle's. Not atomic: two racing requests may both write.
    """
    limits = {f"audit-rows:user:{user_id}" if user_id is not None else f"audit-rows:addr:{remote_addr}":
              PER_CALLER}
    if user_id is None:
        limits["audit-rows:anonymous"] = ANONYMOUS
    now = time.time()
    found = cache.get_many(limits)
    counts = {key: found[key] if key in found and found[key][1] > now else (0, now + WINDOW_SECONDS)
              for key in limits}
    if any(count >= limits[key] for key, (count, _) in counts.items()):
        return False  # over budget: one cache read, no write
    cache.set_many({key: (count + 1, ends_at) for key, (count, ends_at) in counts.items()},
                   timeout=WINDOW_SECONDS)
    return True
