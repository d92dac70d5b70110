"""The task's container definition and image repository, from plain values."""

from __future__ import annotations

import json

import pulumi

from components.ecs_task import SecretRef, container_definitions, ecr_repository_arn
from tests.components.conftest import Build
from tests.components.service_fixtures import ACCOUNT, REGION, service_config


def test_the_execution_role_may_pull_only_its_images_repository() -> None:
    assert ecr_repository_arn(service_config()) == f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/some-repo"


def test_container_is_hardened_and_logs_without_blocking(build: Build) -> None:
    def program() -> None:
        defs = container_definitions(
            "svc",
            service_config(stopTimeoutSeconds=90),
            environment={"B": "2", "A": "1"},
            secrets=[SecretRef("TOKEN", "arn:secret:token::", "arn:secret")],
            log_group_name="/ecs/unit-svc",
            region=REGION,
        )
        pulumi.export("containers", defs)

    [c] = json.loads(build(program).outputs["containers"])
    assert (c["readonlyRootFilesystem"], c["privileged"], c["user"]) == (True, False, "10001:10001")
    assert c["linuxParameters"] == {"initProcessEnabled": True, "capabilities": {"drop": ["ALL"]}}
    assert c["environment"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]
    assert c["secrets"] == [{"name": "TOKEN", "valueFrom": "arn:secret:token::"}]
    assert c["stopTimeout"] == 90
    assert c["portMappings"] == [{"name": "svc", "containerPort": 9000, "protocol": "tcp"}]
    assert c["logConfiguration"]["options"]["mode"] == "non-blocking"
    assert c["logConfiguration"]["options"]["awslogs-group"] == "/ecs/unit-svc"


def test_reserved_client_ports_become_the_sysctl_and_only_when_given(build: Build) -> None:
    def program() -> None:
        for name, reserved in (("with", (50051, 8080, 50051)), ("without", ())):
            pulumi.export(
                name,
                container_definitions(
                    "svc",
                    service_config(),
                    environment={},
                    secrets=[],
                    log_group_name="/ecs/unit-svc",
                    region=REGION,
                    reserved_client_ports=reserved,
                ),
            )

    outputs = build(program).outputs
    [with_ports] = json.loads(outputs["with"])
    assert with_ports["systemControls"] == [
        {"namespace": "net.ipv4.ip_local_reserved_ports", "value": "8080,50051"}
    ]
    [without] = json.loads(outputs["without"])
    assert "systemControls" not in without
