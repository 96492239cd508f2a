from __future__ import annotations

import pytest

from tests.helpers import require_docker


@pytest.fixture(params=["local", pytest.param("docker", marks=pytest.mark.docker)])
def backend(request: pytest.FixtureRequest) -> str:
    """Run the test once per sandbox backend (docker skips without an engine, fails in CI)."""
    if request.param == "docker":
        require_docker()
    return str(request.param)
