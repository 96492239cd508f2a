"""The sandbox image's recipe: its tag records the recipe's hash, and both build methods share it."""

from __future__ import annotations

import re

import pytest

from mapforge.sandbox import image


def test_tag_records_the_recipe_hash() -> None:
    tag = image.image_tag()
    assert re.fullmatch(r"mapforge-sandbox:[0-9a-f]{12}", tag)
    assert tag.endswith(image.recipe_digest()[:12])
    assert image.image_tag() == tag  # stable


def test_changing_the_recipe_changes_the_tag(monkeypatch: pytest.MonkeyPatch) -> None:
    before = image.image_tag()
    monkeypatch.setattr(image, "PACKAGES", (*image.PACKAGES, "gfortran"))
    assert image.image_tag() != before


def test_dockerfile_installs_the_recipe() -> None:
    text = image.dockerfile()
    assert f"FROM debian:{image.SUITE}-slim" in text
    for pkg in image.PACKAGES:
        assert f" {pkg}" in text
    assert image.recipe_digest() in text and "chmod 1777 /work" in text


def test_missing_image_message_names_the_build_command() -> None:
    msg = image.missing_image_message("mapforge-sandbox:0123456789ab")
    assert "`mapforge sandbox build`" in msg and "mapforge-sandbox:0123456789ab" in msg
