"""Preflight's image check: the pinned tag is in ECR and built for the tasks' CPU architecture.

A task whose image is missing fails to pull and the deploy rolls back; an image of the wrong
architecture starts and exits with "exec format error". Both are cheaper to see before `pulumi up`.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from botocore.exceptions import ClientError

from arbiter_infra.config import ServiceConfig
from arbiter_tools.preflight_checks import UNANSWERED, Check, Fetch, api_error, denied

#: ECS `cpuArchitecture` -> the OCI/Docker platform architecture an image must offer.
PLATFORM_ARCH = {"X86_64": "amd64", "ARM64": "arm64"}
_INDEX_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)
_MANIFEST_TYPES = (
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)
_SCHEMA1_TYPES = (
    "application/vnd.docker.distribution.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
)


def fetch_url(url: str) -> bytes:
    """Download an ECR layer URL (pre-signed S3): only for an image's small config blob."""
    with urllib.request.urlopen(url, timeout=10) as resp:
        data: bytes = resp.read(1_000_000)
        return data


def image_architectures(
    ecr: Any, registry_id: str, repo: str, tag: str, fetch: Fetch
) -> tuple[set[str] | None, str]:
    """Linux architectures the image offers, or None and why it could not be told.

    A multi-platform index lists them; a single manifest names only its config blob, whose JSON
    holds `architecture`, so that blob is downloaded (ECR gives a pre-signed URL for it).
    """
    resp = ecr.batch_get_image(
        registryId=registry_id,
        repositoryName=repo,
        imageIds=[{"imageTag": tag}],
        acceptedMediaTypes=[*_INDEX_TYPES, *_MANIFEST_TYPES, *_SCHEMA1_TYPES],
    )
    if not resp.get("images"):
        return None, "ecr:BatchGetImage returned no manifest"
    image = resp["images"][0]
    manifest = json.loads(image["imageManifest"])
    media = image.get("imageManifestMediaType") or manifest.get("mediaType", "")
    if media in _INDEX_TYPES or "manifests" in manifest:
        archs = {
            str(m["platform"]["architecture"])
            for m in manifest.get("manifests", [])
            if m.get("platform", {}).get("os") == "linux" and m["platform"].get("architecture") != "unknown"
        }
        return archs, "from the image index"
    if media in _SCHEMA1_TYPES or manifest.get("schemaVersion") == 1:
        return {str(manifest.get("architecture"))}, "from the schema-1 manifest"
    digest = manifest.get("config", {}).get("digest")
    if not digest:
        return None, "the manifest names no config blob"
    url = ecr.get_download_url_for_layer(registryId=registry_id, repositoryName=repo, layerDigest=digest)[
        "downloadUrl"
    ]
    blob = json.loads(fetch(url))
    return {str(blob.get("architecture"))}, "from the image config"


def check_image(
    ecr: Any, service: str, key: str, cfg: ServiceConfig, *, cpu_architecture: str, fetch: Fetch
) -> Check:
    """The pinned tag exists in ECR (else tasks fail to pull and the deploy rolls back)."""
    name = f"image {service}"
    registry, repo, tag = cfg.image_parts
    registry_id = registry.split(".", 1)[0]
    try:
        detail = ecr.describe_images(
            registryId=registry_id, repositoryName=repo, imageIds=[{"imageTag": tag}]
        )["imageDetails"][0]
    except ClientError as err:
        code = api_error(err)[0]
        if code == "RepositoryNotFoundException":
            return Check(
                name,
                "FAIL",
                f"repository {repo} does not exist in {registry}",
                "deploy the account stack (it owns the ECR repositories), then push the image",
            )
        if code == "ImageNotFoundException":
            return Check(
                name,
                "FAIL",
                f"{cfg.image} is not in ECR (tag {tag} not in {repo})",
                f"push it (docker push {cfg.image}) or set services.{key}.image to a pushed tag",
            )
        return denied(name, "ecr:DescribeImages", err)
    found = f"{cfg.image} ({str(detail.get('imageDigest', ''))[:19]})"
    wanted = PLATFORM_ARCH[cpu_architecture]
    try:
        archs, how = image_architectures(ecr, registry_id, repo, tag, fetch)
    except ClientError as err:
        code, message = api_error(err)
        archs, how = None, f"{code}: {message}"
    except UNANSWERED:
        archs, how = None, "the ECR API here cannot serve image manifests or layers"
    except (OSError, ValueError, KeyError) as err:
        archs, how = None, f"image config unreadable ({type(err).__name__})"
    if archs is None:
        return Check(name, "ok", f"{found}; architecture not verified ({how})")
    if wanted not in archs:
        return Check(
            name,
            "FAIL",
            f"{cfg.image} is built for {', '.join(sorted(archs))} ({how}); the tasks run "
            f"services.cpuArchitecture {cpu_architecture} ({wanted}) and would exit with 'exec format error'",
            f"build and push a linux/{wanted} image, or set services.cpuArchitecture to match",
        )
    return Check(name, "ok", f"{found}, linux/{wanted} ({how})")
