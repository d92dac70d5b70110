"""Cloud Map private DNS namespaces and services."""

from __future__ import annotations

from arbiter_tools.emulator.core import Request, Result, clean, handles, pascal
from policies import resource_types as rt


@handles(rt.SD_NAMESPACE)
def _sd_namespace(req: Request) -> Result:
    sd = req.client("servicediscovery")
    op = sd.create_private_dns_namespace(
        **clean(
            {
                "Name": req.inputs["name"],
                "Vpc": req.inputs["vpc"],
                "Description": req.inputs.get("description"),
                "Tags": req.tag_list(),
            }
        )
    )["OperationId"]
    ns_id = sd.get_operation(OperationId=op)["Operation"]["Targets"]["NAMESPACE"]
    ns = sd.get_namespace(Id=ns_id)["Namespace"]
    zone = ns.get("Properties", {}).get("DnsProperties", {}).get("HostedZoneId")
    return ns_id, {"arn": ns["Arn"], "hostedZone": zone}


@handles(rt.SD_SERVICE)
def _sd_service(req: Request) -> Result:
    i = req.inputs
    dns = i.get("dnsConfig")
    service = req.client("servicediscovery").create_service(
        **clean(
            {
                "Name": req.physical_name(),
                "NamespaceId": i.get("namespaceId") or (dns or {}).get("namespaceId"),
                "Description": i.get("description"),
                "DnsConfig": pascal(
                    {
                        "routingPolicy": dns.get("routingPolicy"),
                        "dnsRecords": [
                            {"type": r["type"], "tTL": int(r["ttl"])} for r in dns.get("dnsRecords", [])
                        ],
                    }
                )
                if dns
                else None,
                "HealthCheckCustomConfig": pascal(i["healthCheckCustomConfig"])
                if i.get("healthCheckCustomConfig")
                else None,
                "Tags": req.tag_list(),
            }
        )
    )["Service"]
    return service["Id"], {"arn": service["Arn"], "name": service["Name"]}
