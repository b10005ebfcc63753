#!/usr/bin/env python3
# registry_bench.py — helpers of the app registry benchmark (registry_bench.sh):
#
#   registry_bench.py faults --count N --rate R --seed S
#       a list of N emulator fault rules, one per Marathon request in arrival
#       order: with probability R a fault (5xx, dropped or reset connection,
#       409 locked, garbage, some applied before the failure), otherwise a
#       pass-through rule (1 ms latency)
#   registry_bench.py emulator --url URL METHOD PATH [--data FILE]
#       one call of the emulator's control API
#   registry_bench.py report --phase P --log marathon.jsonl --requests r.csv
#                            --deployments d.csv --state state.json
#                            [--check-latency] [--check-throughput]
#       latency COMMIT -> Marathon, throughput, and the checks: no request lost
#       or failed, none applied twice, Marathon's final state equals the
#       registry's.  Exit status 1 when a check fails.
# Standard library only.
import argparse
import csv
import json
import random
import sys

FAULTS = [
    {"status": 500},
    {"status": 502, "body": "Could not determine the current leader"},
    {"status": 503},
    {"drop": True},
    {"reset": True},
    {"status": 409, "body": {
        "message": "App is locked by one or more deployments. Override with the option '?force=true'. "
                   "View details at '/v2/deployments/<DEPLOYMENT_ID>'.",
        "deployments": [{"id": "97c136bf-5a28-4821-9d94-480d9fbb01c8"}]}},
    {"garbage": True},
    # the change is made, the answer is lost or wrong
    {"status": 500, "process": True},
    {"status": 503, "process": True},
    {"drop": True, "process": True},
]


def faults(args):
    rng = random.Random(args.seed)
    rules = []
    for _ in range(args.count):
        if rng.random() < args.rate:
            rule = dict(rng.choice(FAULTS))
        else:
            rule = {"latency_ms": 1}
        rules.append(rule)
    json.dump(rules, sys.stdout)


def emulator(args):
    """One call of the emulator's control API; the answer goes to stdout."""
    import urllib.request
    data = open(args.data, "rb").read() if args.data else None
    req = urllib.request.Request(args.url + args.path, data=data, method=args.method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as res:
        sys.stdout.write(res.read().decode("utf-8"))


def percentile(values, p):
    if not values:
        return float("nan")
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(round(p / 100.0 * len(v) + 0.5)) - 1))
    return v[k]


def report(args):
    failures = []

    def check(ok, what):
        print("  %-4s %s" % ("ok" if ok else "FAIL", what))
        if not ok:
            failures.append(what)

    with open(args.requests) as f:
        requests = {int(r["request_id"]): r for r in csv.DictReader(f) if int(r["phase"]) == args.phase}
    with open(args.deployments) as f:
        deployments = {int(r["id"]): r for r in csv.DictReader(f)}
    log = []
    with open(args.log) as f:
        for line in f:
            line = line.strip()
            if line:
                log.append(json.loads(line))
    with open(args.state) as f:
        state = json.load(f)

    by_request = {}
    for e in log:
        rid = (e.get("headers") or {}).get("X-Automl-Request-Id")
        if rid is not None:
            by_request.setdefault(int(rid), []).append(e)

    n = len(requests)
    final = {"running", "failed", "deleted"}
    lost = [i for i in requests if i not in deployments or deployments[i]["state"] not in final]
    failed = [i for i in requests if i in deployments and deployments[i]["state"] == "failed"]
    # latency: COMMIT (client side, just before it) -> the first call Marathon received for it
    latencies = []
    unseen = []
    for i, r in requests.items():
        calls = by_request.get(i)
        if not calls:
            unseen.append(i)
            continue
        latencies.append((min(c["ts"] for c in calls) - float(r["t_commit"])) * 1000.0)
    # duplicates: writes Marathon carried out for one request.  A write that
    # changed an app created a Marathon deployment, whose id the emulator logs
    # even when a fault hid the answer (a 409 or a 404 creates none).
    applied = {}
    writes = 0
    for i in requests:
        k = 0
        for c in by_request.get(i, []):
            if c["method"] in ("POST", "PUT", "DELETE") and c["path"].startswith("/v2/apps"):
                writes += 1
                k += c.get("deployment_id") is not None
        applied[i] = k
    not_once = {i: k for i, k in applied.items() if k != 1}
    # throughput
    t0 = min(float(r["t_commit"]) for r in requests.values())
    ends = [float(deployments[i]["finished_at"]) for i in requests if i in deployments and deployments[i]["finished_at"]]
    starts = [float(deployments[i]["started_at"]) for i in requests if i in deployments and deployments[i]["started_at"]]
    t1 = max(ends) if ends else t0
    commits = [float(r["t_commit"]) for r in requests.values()]
    # faults seen by Marathon during the phase
    window = [e for e in log if t0 - 0.001 <= e["ts"] <= t1 + 0.001]
    faulted = [e for e in window if e.get("fault") and e["fault"] != "latency_ms=1"]
    attempts = sum(int(deployments[i]["attempts"]) for i in requests if i in deployments)

    print("phase %d: %d requests (%d deploy, %d undeploy) from %s clients" % (
        args.phase, n, sum(1 for r in requests.values() if r["action"] == "deploy"),
        sum(1 for r in requests.values() if r["action"] == "undeploy"),
        len({r["client"] for r in requests.values()})))
    print("  Marathon calls: %d (%d writes for %d requests, %d tries), %d faulted (%.1f%% of calls)" % (
        len(window), writes, n, attempts, len(faulted), 100.0 * len(faulted) / max(1, len(window))))
    print("  submitted in %.2f s (%.0f requests/s)" % (max(commits) - t0, n / max(1e-9, max(commits) - t0)))
    print("  all final %.2f s after the first COMMIT: %.0f requests/s (worker busy %.2f s: %.0f requests/s)" % (
        t1 - t0, n / max(1e-9, t1 - t0), t1 - min(starts or [t0]), n / max(1e-9, t1 - min(starts or [t0]))))
    print("  latency COMMIT -> Marathon received it: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms" % (
        percentile(latencies, 50), percentile(latencies, 90), percentile(latencies, 99),
        max(latencies) if latencies else float("nan")))
    # where the time goes: COMMIT -> claimed by the worker -> first call received
    to_claim = [(float(deployments[i]["started_at"]) - float(r["t_commit"])) * 1000.0
                for i, r in requests.items() if i in deployments and deployments[i]["started_at"]]
    to_send = [(min(c["ts"] for c in by_request[i]) - float(deployments[i]["started_at"])) * 1000.0
               for i in requests if i in by_request and i in deployments and deployments[i]["started_at"]]
    print("    of which COMMIT -> claimed p50 %.1f ms (p99 %.1f), claimed -> received p50 %.1f ms (p99 %.1f)" % (
        percentile(to_claim, 50), percentile(to_claim, 99), percentile(to_send, 50), percentile(to_send, 99)))

    check(not lost, "no request lost (%d not final)" % len(lost))
    check(not failed, "no request failed (%d failed%s)" % (
        len(failed), (": " + deployments[failed[0]]["last_error"]) if failed else ""))
    check(not unseen, "every request reached Marathon (%d did not)" % len(unseen))
    check(not not_once, "every request applied exactly once on Marathon (%d not: %s)" % (
        len(not_once), dict(list(not_once.items())[:5])))
    for i in list(not_once)[:3]:
        print("       request %d: %s" % (i, ", ".join(
            "%s %s %s%s" % (c["method"], c["path"], c.get("status"), " [%s]" % c["fault"] if c.get("fault") else "")
            for c in by_request.get(i, []))))

    # Marathon's final state equals the registry's: the running deploy of each app
    running = {r["marathon_app_id"]: int(r["id"]) for r in deployments.values()
               if r["action"] == "deploy" and r["state"] == "running"}
    apps = state["apps"]
    check(set(apps) == set(running), "Marathon runs exactly the registry's running deployments (%d apps; %d extra, %d missing)" % (
        len(apps), len(set(apps) - set(running)), len(set(running) - set(apps))))
    wrong = [a for a in apps if a in running and apps[a]["labels"].get("automl.deployment") != str(running[a])]
    check(not wrong, "each app runs the definition of its latest deployment (%d differ)" % len(wrong))
    pending = state.get("deployments") or []
    check(not pending, "no Marathon deployment left running (%d)" % len(pending))
    if args.check_latency:
        check(percentile(latencies, 50) < 20.0, "latency p50 < 20 ms")
        check(percentile(latencies, 99) < 100.0, "latency p99 < 100 ms")
    if args.check_throughput:
        check(n / max(1e-9, t1 - t0) >= 200.0, "throughput >= 200 deployments/s")
    return 1 if failures else 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("faults")
    f.add_argument("--count", type=int, required=True)
    f.add_argument("--rate", type=float, required=True)
    f.add_argument("--seed", type=int, default=42)
    e = sub.add_parser("emulator")
    e.add_argument("--url", required=True)
    e.add_argument("method")
    e.add_argument("path")
    e.add_argument("--data")
    r = sub.add_parser("report")
    r.add_argument("--phase", type=int, required=True)
    r.add_argument("--log", required=True)
    r.add_argument("--requests", required=True)
    r.add_argument("--deployments", required=True)
    r.add_argument("--state", required=True)
    r.add_argument("--check-latency", action="store_true")
    r.add_argument("--check-throughput", action="store_true")
    args = ap.parse_args()
    if args.cmd == "faults":
        faults(args)
        return 0
    if args.cmd == "emulator":
        emulator(args)
        return 0
    return report(args)


if __name__ == "__main__":
    sys.exit(main())
