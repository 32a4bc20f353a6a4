from __future__ import annotations

from collections.abc import Iterator

import pytest

from notify.fake_bot_api import FakeBotAPI


@pytest.fixture
def bot_api() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as api:
        yield api
