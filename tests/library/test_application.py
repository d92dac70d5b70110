"""The service table is consistent with itself and with the stack files' services."""

from __future__ import annotations

from arbiter_infra import application, catalog
from arbiter_infra.config import SECRET_FIELDS, SERVICE_NAMES


def test_table_names_exactly_the_configured_services() -> None:
    assert tuple(application.SERVICES) == SERVICE_NAMES


def test_every_called_service_is_discoverable() -> None:
    for name, traits in application.SERVICES.items():
        for callee in traits.calls:
            assert application.SERVICES[callee].discoverable, (name, callee)


def test_every_application_secret_has_a_consumer_and_a_purpose() -> None:
    for secret in SECRET_FIELDS:
        assert application.consumers(secret), secret
        assert secret in application.SECRET_PURPOSES
    assert set(application.SECRET_PURPOSES) == set(SECRET_FIELDS)


def test_one_public_service() -> None:
    assert application.public_service() == "web-api"


def test_image_repositories_agree_with_the_catalog() -> None:
    assert {n: t.image_repository for n, t in application.SERVICES.items()} == catalog.IMAGE_REPOSITORIES
