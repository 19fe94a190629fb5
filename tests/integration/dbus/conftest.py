"""Fixtures of the D-Bus service tests (bombus_service.py has what they
start)."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from bombus_service import Service, markers  # noqa: E402,F401 (a fixture)

@pytest.fixture(scope="module")
def service():
    """bombusd on a private system bus with polkitd and journald; the
    journal gets the process category; 4 subscriptions per client."""
    svc = Service(config="[Journal]\nCategories=process\n[Subscriptions]\nMaxPerClient=4\n").start()
    yield svc
    svc.stop()
