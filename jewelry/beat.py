"""beat's scheduler: Celery's own, making its schedule file's folder when it opens the file."""

from pathlib import Path

from celery.beat import PersistentScheduler


class BeatScheduler(PersistentScheduler):
    """``PersistentScheduler`` for a fresh ``ALEXANDRITE_VAR_DIR``, which importing settings does not make."""

    def setup_schedule(self):
        Path(self.schedule_filename).parent.mkdir(parents=True, exist_ok=True)
        super().setup_schedule()
