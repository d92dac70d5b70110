"""Fargate capacity a stack needs: the deployment percentages and the vCPU they add up to.

A rolling deploy starts the new tasks before it stops the old ones, so for a moment a service runs
up to `maximumPercent` of its count (200; a single writer, trading-core, 100: it stops first; a
canary runs the new revision at full count beside the old one, like 200). The Fargate On-Demand vCPU quota must cover that peak, not the
steady state, or the deploy stalls with "You've reached the limit on the number of vCPUs". The
program's ECS services and `preflight` read the percentages from here so they cannot disagree.
"""

from __future__ import annotations

from arbiter_infra import application
from arbiter_infra.application import SERVICES
from arbiter_infra.config import ServiceConfig, ServicesConfig

#: Fargate counts vCPU in units of 1024 task cpu.
CPU_UNITS_PER_VCPU = 1024


def deployment_percents(service: str) -> tuple[int, int]:
    """(minimumHealthyPercent, maximumPercent) of one service's rolling deploy, as its ECS service has them."""
    traits = SERVICES[service]
    return application.deployment_percents(
        single_writer=traits.single_writer, steady_capacity=traits.steady_capacity
    )


def most_tasks(cfg: ServiceConfig) -> int:
    """The largest count the service settles at: autoscaling may hold it at maxCount."""
    return cfg.max_count if cfg.max_count is not None else cfg.desired_count


def task_vcpu(cfg: ServiceConfig) -> float:
    return cfg.cpu / CPU_UNITS_PER_VCPU


def steady_vcpu(services: ServicesConfig) -> float:
    """vCPU the stack runs between deploys (autoscaled services at their maxCount)."""
    return sum(task_vcpu(cfg) * most_tasks(cfg) for cfg in services.by_name().values())


def peak_vcpu(services: ServicesConfig) -> float:
    """vCPU at the peak of a deploy of every service: count x maximumPercent per service."""
    total = 0.0
    for name, cfg in services.by_name().items():
        _min, maximum = deployment_percents(name)
        total += task_vcpu(cfg) * most_tasks(cfg) * maximum / 100
    return total
