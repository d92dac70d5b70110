"""CloudWatch metric alarms and dashboards."""

from __future__ import annotations

from typing import Any

from arbiter_tools.emulator.core import Request, Result, as_json, clean, handles, opt_int
from policies import resource_types as rt


def _metric_queries(queries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for q in queries:
        item: dict[str, Any] = clean(
            {
                "Id": q["id"],
                "Expression": q.get("expression"),
                "Label": q.get("label"),
                "ReturnData": q.get("returnData"),
                "Period": opt_int(q.get("period")),
            }
        )
        m = q.get("metric")
        if m:
            item["MetricStat"] = clean(
                {
                    "Metric": {
                        "Namespace": m.get("namespace"),
                        "MetricName": m.get("metricName"),
                        "Dimensions": [
                            {"Name": k, "Value": v} for k, v in (m.get("dimensions") or {}).items()
                        ],
                    },
                    "Period": opt_int(m.get("period")),
                    "Stat": m.get("stat"),
                    "Unit": m.get("unit"),
                }
            )
        out.append(item)
    return out


@handles(rt.METRIC_ALARM)
def _metric_alarm(req: Request) -> Result:
    i = req.inputs
    name = req.physical_name()
    cw = req.client("cloudwatch")
    cw.put_metric_alarm(
        **clean(
            {
                "AlarmName": name,
                "AlarmDescription": i.get("alarmDescription"),
                "ComparisonOperator": i["comparisonOperator"],
                "EvaluationPeriods": int(i["evaluationPeriods"]),
                "DatapointsToAlarm": opt_int(i.get("datapointsToAlarm")),
                "MetricName": i.get("metricName"),
                "Namespace": i.get("namespace"),
                "Period": opt_int(i.get("period")),
                "Statistic": i.get("statistic"),
                "ExtendedStatistic": i.get("extendedStatistic"),
                "Threshold": float(i["threshold"]) if i.get("threshold") is not None else None,
                "Dimensions": [{"Name": k, "Value": v} for k, v in (i.get("dimensions") or {}).items()],
                "Metrics": _metric_queries(i.get("metricQueries") or []),
                "AlarmActions": i.get("alarmActions"),
                "OKActions": i.get("okActions"),
                "InsufficientDataActions": i.get("insufficientDataActions"),
                "TreatMissingData": i.get("treatMissingData"),
                "ActionsEnabled": i.get("actionsEnabled"),
                "Unit": i.get("unit"),
                "Tags": req.tag_list(),
            }
        )
    )
    arn = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["AlarmArn"]
    return name, {"arn": arn, "name": name}


@handles(rt.DASHBOARD)
def _dashboard(req: Request) -> Result:
    name = req.inputs["dashboardName"]
    cw = req.client("cloudwatch")
    cw.put_dashboard(DashboardName=name, DashboardBody=as_json(req.inputs["dashboardBody"]))
    arn = cw.get_dashboard(DashboardName=name)["DashboardArn"]
    return name, {"dashboardArn": arn}
