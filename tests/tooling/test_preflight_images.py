"""Preflight's image check: tags in ECR (moto) and architectures, from an index or a config blob (stubbed)."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from arbiter_infra.config import StackConfig
from arbiter_tools import (
    preflight_checks,
    preflight_images,
)
from arbiter_tools.stacks import load_stack
from tests.tooling.preflight_support import ACCOUNT, SINGLE, index_manifest, push, with_services

pytestmark = pytest.mark.moto


# --- images (moto, and stubbed for the config blob) -------------------------------------------


def _image_check(
    ecr: Any, config: StackConfig, fetch: preflight_checks.Fetch = lambda url: b""
) -> preflight_checks.Check:
    return preflight_images.check_image(
        ecr,
        "web-api",
        "webApi",
        config.services.web_api,
        cpu_architecture=config.services.cpu_architecture,
        fetch=fetch,
    )


def test_images_exist_with_the_right_architecture(aws: boto3.Session) -> None:
    config = load_stack("staging").config
    image = config.services.web_api.image
    ecr = aws.client("ecr")
    check = _image_check(ecr, config)
    assert check.status == "FAIL" and "repository web-api does not exist" in check.detail

    ecr.create_repository(repositoryName="web-api")
    check = _image_check(ecr, config)
    assert check.status == "FAIL" and f"{image} is not in ECR" in check.detail
    assert check.fix == f"push it (docker push {image}) or set services.webApi.image to a pushed tag"

    push(aws, image, index_manifest("arm64"))
    check = _image_check(ecr, with_services(config, cpu_architecture="X86_64"))
    assert check.status == "FAIL" and "built for arm64 (from the image index)" in check.detail
    assert "X86_64 (amd64)" in check.detail
    check = _image_check(ecr, config)  # the stack file asks for ARM64
    assert check.status == "ok" and check.detail.endswith("linux/arm64 (from the image index)")


def _stubbed_ecr(manifest: dict[str, Any], *, download: str | None) -> Any:
    """ECR for one single-platform image: moto does not implement GetDownloadUrlForLayer."""
    ecr = boto3.client("ecr", region_name="us-east-1")
    stub = Stubber(ecr)
    ids = {"registryId": ACCOUNT, "repositoryName": "web-api"}
    stub.add_response(
        "describe_images",
        {"imageDetails": [{**ids, "imageDigest": "sha256:" + "d" * 64, "imageTags": ["v1.3.0-rc.1"]}]},
        {**ids, "imageIds": [{"imageTag": "v1.3.0-rc.1"}]},
    )
    stub.add_response(
        "batch_get_image",
        {
            "images": [
                {
                    **ids,
                    "imageId": {"imageTag": "v1.3.0-rc.1"},
                    "imageManifest": json.dumps(manifest),
                    "imageManifestMediaType": manifest["mediaType"],
                }
            ]
        },
    )
    layer = {**ids, "layerDigest": manifest["config"]["digest"]}
    if download is None:
        stub.add_client_error("get_download_url_for_layer", service_error_code="AccessDeniedException")
    else:
        stub.add_response("get_download_url_for_layer", {"downloadUrl": download, "layerDigest": "x"}, layer)
    stub.activate()
    return ecr


def test_single_platform_image_architecture_from_its_config_blob() -> None:
    """Stub-tested: moto has no GetDownloadUrlForLayer, where a single image's architecture lives."""
    config = load_stack("staging").config
    url = "https://prod-us-east-1-starport-layer-bucket.s3.amazonaws.com/config"
    fetched: list[str] = []

    def fetch(arm: bool) -> preflight_checks.Fetch:
        def get(u: str) -> bytes:
            fetched.append(u)
            return json.dumps({"architecture": "arm64" if arm else "amd64", "os": "linux"}).encode()

        return get

    check = _image_check(_stubbed_ecr(SINGLE, download=url), config, fetch(arm=False))
    assert check.status == "FAIL" and "built for amd64 (from the image config)" in check.detail
    assert fetched == [url]
    check = _image_check(_stubbed_ecr(SINGLE, download=url), config, fetch(arm=True))
    assert check.status == "ok" and check.detail.endswith("linux/arm64 (from the image config)")

    check = _image_check(_stubbed_ecr(SINGLE, download=None), config)
    assert check.status == "ok"
    assert "architecture not verified (AccessDeniedException" in check.detail
