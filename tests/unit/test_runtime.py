"""Start-up heap freezing: what the app allocated while starting leaves the GC's full passes."""

import gc

from api.web.app import create_app
from api.web.runtime import freeze_startup_heap


def test_the_app_freezes_its_start_up_heap_once_started() -> None:
    assert freeze_startup_heap in create_app().on_startup


def test_freezing_moves_the_live_objects_to_the_permanent_generation() -> None:
    gc.unfreeze()
    live = [[n] for n in range(1_000)]  # tracked containers that outlive start-up
    try:
        assert gc.get_freeze_count() == 0
        freeze_startup_heap()
        assert gc.get_freeze_count() >= len(live)
    finally:
        gc.unfreeze()
