#!/usr/bin/env python3
# Marathon 1.x REST API emulator for automl's tests.
#
# A stateful, single-file, standard-library-only stand-in for the Marathon
# 1.5-1.10 /v2 API (apps, deployments, tasks, info, ping, auth and Marathon's
# exact error shapes), plus a /_emulator/... control API that tests use to
# inject faults (status codes, latency, dropped connections, garbage bodies,
# refused connections) and to inspect every request a client sent.
# Listens on loopback only.  See README.md in this directory.

import argparse
import base64
import copy
import json
import os
import random
import re
import signal
import socket
import socketserver
import struct
import sys
import threading
import time
import uuid
from datetime import datetime, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

DEFAULT_MARATHON_VERSION = "1.10.26"

# --------------------------------------------------------------------------
# Marathon constants (messages are reproduced verbatim where they are known)
# --------------------------------------------------------------------------

MSG_LOCKED = ("App is locked by one or more deployments. Override with the option "
              "'?force=true'. View details at '/v2/deployments/<DEPLOYMENT_ID>'.")
MSG_TOO_MANY = ("Max number ({n}) of running deployments is achieved. Wait for existing "
                "deployments to complete or cancel oneusing force=true parameter. You can "
                "increase max deployment number by using --max_running_deployments parameter "
                "but be advised that this can have negative effects on the performance.")
MSG_CMD_ARGS = "AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'."
MSG_PM_HOST = "portMappings are not allowed with host-networking"
MSG_PD_NONHOST = "portDefinitions are only allowed with host-networking"
MSG_HC_PORTINDEX = ("Health check port indices must address an element of the ports array "
                    "or container port mappings.")
MSG_VERSION_ONLY = "The 'version' field may only be combined with the 'id' field."
MSG_ONE_MESOS_HC = "AppDefinition can contain at most one Mesos health check"
MSG_DOCKER_NET_BOTH = "must not specify both container.docker.network and networks"
MSG_PORTS_BOTH = "cannot specify both ports and port definitions"
MSG_GPU_DOCKER = "GPU resources only work with the Mesos containerizer"

# Per-segment id pattern (PathIdValidation.ID_PATH_SEGMENT_PATTERN), shown in messages.
SEGMENT_PATTERN_TEXT = r"^(([a-z0-9]|[a-z0-9][a-z0-9\-]*[a-z0-9])\.)*([a-z0-9]|[a-z0-9][a-z0-9\-]*[a-z0-9])|(\.|\.\.)$"
SEGMENT_RE = re.compile(r"(?:(?:[a-z0-9]|[a-z0-9][a-z0-9\-]*[a-z0-9])\.)*(?:[a-z0-9]|[a-z0-9][a-z0-9\-]*[a-z0-9])|\.|\.\.")
# Whole-id pattern of the RAML PathId type (checked while reading the JSON -> "error.pattern").
RAML_ID_RE = re.compile(r"^(\/?((\.\.)|(([a-z0-9]|[a-z0-9][a-z0-9\-]*[a-z0-9])\.)*([a-z0-9]|[a-z0-9][a-z0-9\-]*[a-z0-9]))?($|\/))+$")
RESERVED_LAST_SEGMENTS = ("restart", "tasks", "versions")

HC_PROTOCOLS = ("HTTP", "HTTPS", "TCP", "COMMAND", "MESOS_HTTP", "MESOS_HTTPS", "MESOS_TCP")
MESOS_HC_PROTOCOLS = ("COMMAND", "MESOS_HTTP", "MESOS_HTTPS", "MESOS_TCP")
NETWORK_MODES = ("host", "container/bridge", "container")
DOCKER_NETWORKS = ("BRIDGE", "HOST", "NONE", "USER")
CONTAINER_TYPES = ("DOCKER", "MESOS")
CONSTRAINT_OPS = ("UNIQUE", "CLUSTER", "GROUP_BY", "LIKE", "UNLIKE", "MAX_PER", "IS")
KILL_SELECTIONS = ("YOUNGEST_FIRST", "OLDEST_FIRST")

STEPS_BY_KIND = {
    "create": ["StartApplication", "ScaleApplication"],
    "delete": ["StopApplication"],
    "restart": ["RestartApplication"],
    "scale": ["ScaleApplication"],
    "none": [],
}

JETTY_401_BODY = (
    "<html>\n<head>\n<meta http-equiv=\"Content-Type\" content=\"text/html;charset=ISO-8859-1\"/>\n"
    "<title>Error 401 Unauthorized</title>\n</head>\n<body><h2>HTTP ERROR 401</h2>\n"
    "<p>Problem accessing {path}. Reason:\n<pre>    Unauthorized</pre></p>"
    "<hr><a href=\"http://eclipse.org/jetty\">Powered by Jetty:// 9.4</a><hr/>\n\n</body>\n</html>\n")
ADMINROUTER_401_BODY = (
    "<html>\n<head><title>401 Authorization Required</title></head>\n<body>\n"
    "<center><h1>401 Authorization Required</h1></center>\n<hr><center>openresty</center>\n"
    "</body>\n</html>\n")
NOT_FOUND_HTML = ("<html>\n<head><title>404 Not Found</title></head>\n<body>\n"
                  "<center><h1>404 Not Found</h1></center>\n</body>\n</html>\n")

CONFIG_KEYS = ("deploy_seconds", "stuck", "stuck_ids", "unhealthy", "max_running_deployments",
               "marathon_version", "auth", "auth_ping", "task_host", "leader", "next_deployment_ids")
FAULT_KEYS = ("status", "count", "method", "path", "body", "headers", "content_type", "latency_ms",
              "drop", "reset", "garbage", "refuse", "seconds", "process", "comment", "hold",
              "mutate", "append", "body_bytes", "body_regex")
# how long a held request waits at most for POST /_emulator/release
HOLD_MAX_SECONDS = 600
# Rule keys that change a normally processed answer (hostile Marathon), see mangle_response().
MANGLE_KEYS = ("mutate", "append", "headers")


def iso_ms(epoch_ms):
    dt = datetime.fromtimestamp(epoch_ms / 1000.0, tz=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (epoch_ms % 1000)


def now_iso():
    return iso_ms(int(time.time() * 1000))


def dumps(obj):
    return json.dumps(obj, separators=(",", ":")).encode("utf-8")


def canon_header(name):
    return "-".join(w[:1].upper() + w[1:].lower() for w in name.split("-"))


def parse_bool(value, default):
    """Jersey/Java Boolean.valueOf semantics: only 'true' (any case) is true."""
    if value is None or value == "":
        return default
    return value.strip().lower() == "true"


def parse_auth(spec):
    """'basic:USER:PASS' | 'token:TOKEN' | None/'none' -> normalised dict or None."""
    if spec is None or spec == "" or spec == "none":
        return None
    if isinstance(spec, dict):
        mode = spec.get("mode")
        if mode == "basic":
            return {"mode": "basic", "user": str(spec["user"]), "password": str(spec["password"])}
        if mode == "token":
            return {"mode": "token", "token": str(spec["token"])}
        raise ValueError("auth mode must be basic or token")
    if spec.startswith("basic:"):
        rest = spec[len("basic:"):]
        if ":" not in rest:
            raise ValueError("--auth basic:USER:PASS")
        user, password = rest.split(":", 1)
        return {"mode": "basic", "user": user, "password": password}
    if spec.startswith("token:"):
        tok = spec[len("token:"):]
        if not tok:
            raise ValueError("--auth token:TOKEN")
        return {"mode": "token", "token": tok}
    raise ValueError("auth must be basic:USER:PASS or token:TOKEN")


def auth_to_spec(auth):
    if auth is None:
        return None
    if auth["mode"] == "basic":
        return "basic:%s:%s" % (auth["user"], auth["password"])
    return "token:%s" % auth["token"]


class Resp(object):
    __slots__ = ("status", "body", "headers", "ctype")

    def __init__(self, status, body=None, headers=None, ctype="application/json"):
        self.status = status
        if body is None:
            self.body = b""
        elif isinstance(body, bytes):
            self.body = body
        elif isinstance(body, str):
            self.body = body.encode("utf-8")
        else:
            self.body = dumps(body)
        self.headers = headers or []
        self.ctype = ctype

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None


class ApiError(Exception):
    def __init__(self, resp):
        Exception.__init__(self, resp.status)
        self.resp = resp


def fail(status, message, **extra):
    body = {"message": message}
    body.update(extra)
    raise ApiError(Resp(status, body))


# --------------------------------------------------------------------------
# JSON body parsing with Marathon (Jackson) style errors
# --------------------------------------------------------------------------

def _reject_constant(name):
    raise ValueError("Non-standard token '%s'" % name)


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def parse_json_body(raw):
    """Return the parsed JSON body or raise ApiError(400) like Marathon does."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        fail(400, "Invalid JSON", details="Invalid UTF-8 start byte 0x%02x\n at [Source: (byte[]); line: 1, column: %d]"
             % (raw[e.start], e.start + 1))
    stripped = text.lstrip()
    if not stripped:
        fail(400, "Please specify data in JSON format",
             details="No content to map due to end-of-input\n at [Source: (byte[])\"\"; line: 1, column: 0]")
    src = text if len(text) <= 200 else text[:200] + "\"[truncated %d bytes]" % (len(raw) - 200)
    try:
        # Jackson ignores trailing content after the first value: so does raw_decode.
        obj, _ = _DECODER.raw_decode(text, len(text) - len(stripped))
        return obj
    except json.JSONDecodeError as e:
        loc = "[Source: (byte[])\"%s\"; line: %d, column: %d]" % (src, e.lineno, e.colno)
        if e.pos >= len(text.rstrip()):
            kind = "Array" if stripped.startswith("[") else "Object"
            details = ("Unexpected end-of-input: expected close marker for %s (start marker at "
                       "[Source: (byte[])\"%s\"; line: 1, column: 1])\n at %s" % (kind, src, loc))
        else:
            ch = text[e.pos]
            details = "Unexpected character ('%s' (code %d)): %s\n at %s" % (ch, ord(ch), e.msg, loc)
        fail(400, "Invalid JSON", details=details)
    except ValueError as e:
        fail(400, "Invalid JSON", details="%s\n at [Source: (byte[])\"%s\"; line: 1, column: 1]" % (e, src))


# --------------------------------------------------------------------------
# Validation: "reads" errors (422 "Invalid JSON") and semantic errors
# (422 "Object is not valid"), both with details [{path, errors}]
# --------------------------------------------------------------------------

class Errors(object):
    def __init__(self):
        self.items = {}

    def add(self, path, msg):
        lst = self.items.setdefault(path or "/", [])
        if msg not in lst:
            lst.append(msg)

    def __bool__(self):
        return bool(self.items)

    def details(self):
        return [{"path": p, "errors": e} for p, e in self.items.items()]


def _is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


class Reads(object):
    """Type/range checks done by Marathon's generated RAML JSON readers (play-json keys)."""

    def __init__(self):
        self.e = Errors()

    def string(self, v, path, min_len=None, pattern=None):
        if not isinstance(v, str):
            self.e.add(path, "error.expected.jsstring")
            return False
        if min_len is not None and len(v) < min_len:
            self.e.add(path, "error.minLength")
            return False
        if pattern is not None and (len(v) > 4096 or not pattern.match(v)):
            self.e.add(path, "error.pattern")
            return False
        return True

    def integer(self, v, path, lo=None, hi=None):
        if not _is_num(v):
            self.e.add(path, "error.expected.jsnumber")
            return False
        if isinstance(v, float) and not v.is_integer():
            self.e.add(path, "error.expected.int")
            return False
        iv = int(v)
        if iv < -2 ** 31 or iv >= 2 ** 31:
            self.e.add(path, "error.expected.int")
            return False
        if lo is not None and iv < lo:
            self.e.add(path, "error.min")
            return False
        if hi is not None and iv > hi:
            self.e.add(path, "error.max")
            return False
        return True

    def number(self, v, path, lo=None, hi=None):
        if not _is_num(v):
            self.e.add(path, "error.expected.jsnumber")
            return False
        if lo is not None and v < lo:
            self.e.add(path, "error.min")
            return False
        if hi is not None and v > hi:
            self.e.add(path, "error.max")
            return False
        return True

    def boolean(self, v, path):
        if not isinstance(v, bool):
            self.e.add(path, "error.expected.jsboolean")
            return False
        return True

    def obj(self, v, path):
        if not isinstance(v, dict):
            self.e.add(path, "error.expected.jsobject")
            return False
        return True

    def arr(self, v, path):
        if not isinstance(v, list):
            self.e.add(path, "error.expected.jsarray")
            return False
        return True

    def enum(self, v, path, values):
        if not isinstance(v, str) or v.lower() not in [x.lower() for x in values]:
            self.e.add(path, "error.unknown.enum.literal")
            return False
        return True

    def str_list(self, v, path):
        if self.arr(v, path):
            for i, x in enumerate(v):
                self.string(x, "%s(%d)" % (path, i))

    def str_map(self, v, path, allow_secret=False):
        if not self.obj(v, path):
            return
        for k, x in v.items():
            p = "%s/%s" % (path, k)
            if allow_secret and isinstance(x, dict):
                if not isinstance(x.get("secret"), str):
                    self.e.add(p, "error.expected.jsstring")
                continue
            self.string(x, p)


def _opt(d, key):
    return d.get(key)


def _read_port_mapping(r, pm, path):
    if not r.obj(pm, path):
        return
    for key, hi in (("containerPort", 65535), ("hostPort", 65535), ("servicePort", 65535)):
        if _opt(pm, key) is not None:
            r.integer(pm[key], path + "/" + key, 0, hi)
    if _opt(pm, "protocol") is not None:
        r.string(pm["protocol"], path + "/protocol")
    if _opt(pm, "name") is not None:
        r.string(pm["name"], path + "/name")
    if _opt(pm, "labels") is not None:
        r.str_map(pm["labels"], path + "/labels")
    if _opt(pm, "networkNames") is not None:
        r.str_list(pm["networkNames"], path + "/networkNames")


def read_checks(app, require_id=True):
    """Errors Marathon's JSON readers would report (422 'Invalid JSON')."""
    r = Reads()
    if _opt(app, "id") is None:
        if require_id:
            r.e.add("/id", "error.path.missing")
    else:
        r.string(app["id"], "/id", min_len=1, pattern=RAML_ID_RE)
    if _opt(app, "cmd") is not None:
        r.string(app["cmd"], "/cmd", min_len=1)
    if _opt(app, "args") is not None:
        r.str_list(app["args"], "/args")
    for key, lo in (("cpus", 0.001), ("mem", 0), ("disk", 0), ("backoffFactor", 1.0)):
        if _opt(app, key) is not None:
            r.number(app[key], "/" + key, lo)
    for key in ("instances", "gpus", "backoffSeconds", "maxLaunchDelaySeconds", "taskKillGracePeriodSeconds"):
        if _opt(app, key) is not None:
            r.integer(app[key], "/" + key, 0)
    for key in ("requirePorts", "tty"):
        if _opt(app, key) is not None:
            r.boolean(app[key], "/" + key)
    for key in ("user", "executor", "role", "version"):
        if _opt(app, key) is not None:
            r.string(app[key], "/" + key)
    if _opt(app, "labels") is not None:
        r.str_map(app["labels"], "/labels")
    if _opt(app, "env") is not None:
        r.str_map(app["env"], "/env", allow_secret=True)
    for key in ("acceptedResourceRoles", "dependencies", "uris", "storeUrls"):
        if _opt(app, key) is not None:
            r.str_list(app[key], "/" + key)
    if _opt(app, "constraints") is not None and r.arr(app["constraints"], "/constraints"):
        for i, c in enumerate(app["constraints"]):
            r.str_list(c, "/constraints(%d)" % i)
    if _opt(app, "ports") is not None and r.arr(app["ports"], "/ports"):
        for i, p in enumerate(app["ports"]):
            r.integer(p, "/ports(%d)" % i, 0, 65535)
    if _opt(app, "portDefinitions") is not None and r.arr(app["portDefinitions"], "/portDefinitions"):
        for i, pd in enumerate(app["portDefinitions"]):
            p = "/portDefinitions(%d)" % i
            if not r.obj(pd, p):
                continue
            if _opt(pd, "port") is not None:
                r.integer(pd["port"], p + "/port", 0, 65535)
            for key in ("protocol", "name"):
                if _opt(pd, key) is not None:
                    r.string(pd[key], p + "/" + key)
            if _opt(pd, "labels") is not None:
                r.str_map(pd["labels"], p + "/labels")
    if _opt(app, "networks") is not None and r.arr(app["networks"], "/networks"):
        for i, n in enumerate(app["networks"]):
            p = "/networks(%d)" % i
            if not r.obj(n, p):
                continue
            if _opt(n, "mode") is not None:
                r.enum(n["mode"], p + "/mode", NETWORK_MODES)
            if _opt(n, "name") is not None:
                r.string(n["name"], p + "/name")
            if _opt(n, "labels") is not None:
                r.str_map(n["labels"], p + "/labels")
    c = _opt(app, "container")
    if c is not None and r.obj(c, "/container"):
        if _opt(c, "type") is not None:
            r.enum(c["type"], "/container/type", CONTAINER_TYPES)
        d = _opt(c, "docker")
        if d is not None and r.obj(d, "/container/docker"):
            if _opt(d, "image") is None:
                r.e.add("/container/docker/image", "error.path.missing")
            else:
                r.string(d["image"], "/container/docker/image", min_len=1)
            for key in ("forcePullImage", "privileged"):
                if _opt(d, key) is not None:
                    r.boolean(d[key], "/container/docker/" + key)
            if _opt(d, "network") is not None:
                r.enum(d["network"], "/container/docker/network", DOCKER_NETWORKS)
            if _opt(d, "parameters") is not None and r.arr(d["parameters"], "/container/docker/parameters"):
                for i, prm in enumerate(d["parameters"]):
                    p = "/container/docker/parameters(%d)" % i
                    if r.obj(prm, p):
                        r.string(prm.get("key"), p + "/key")
                        r.string(prm.get("value"), p + "/value")
            if _opt(d, "portMappings") is not None and r.arr(d["portMappings"], "/container/docker/portMappings"):
                for i, pm in enumerate(d["portMappings"]):
                    _read_port_mapping(r, pm, "/container/docker/portMappings(%d)" % i)
        if _opt(c, "portMappings") is not None and r.arr(c["portMappings"], "/container/portMappings"):
            for i, pm in enumerate(c["portMappings"]):
                _read_port_mapping(r, pm, "/container/portMappings(%d)" % i)
        if _opt(c, "volumes") is not None:
            r.arr(c["volumes"], "/container/volumes")
    if _opt(app, "healthChecks") is not None and r.arr(app["healthChecks"], "/healthChecks"):
        for i, hc in enumerate(app["healthChecks"]):
            p = "/healthChecks(%d)" % i
            if not r.obj(hc, p):
                continue
            if _opt(hc, "protocol") is not None:
                r.enum(hc["protocol"], p + "/protocol", HC_PROTOCOLS)
            if _opt(hc, "path") is not None:
                r.string(hc["path"], p + "/path")
            if _opt(hc, "portIndex") is not None:
                r.integer(hc["portIndex"], p + "/portIndex", 0)
            if _opt(hc, "port") is not None:
                r.integer(hc["port"], p + "/port", 0, 65535)
            for key in ("gracePeriodSeconds", "intervalSeconds", "timeoutSeconds",
                        "maxConsecutiveFailures", "delaySeconds"):
                if _opt(hc, key) is not None:
                    r.integer(hc[key], p + "/" + key, 0)
            if _opt(hc, "ignoreHttp1xx") is not None:
                r.boolean(hc["ignoreHttp1xx"], p + "/ignoreHttp1xx")
            cmd = _opt(hc, "command")
            if cmd is not None and r.obj(cmd, p + "/command"):
                r.string(cmd.get("value"), p + "/command/value")
    if _opt(app, "readinessChecks") is not None and r.arr(app["readinessChecks"], "/readinessChecks"):
        for i, rc in enumerate(app["readinessChecks"]):
            r.obj(rc, "/readinessChecks(%d)" % i)
    us = _opt(app, "upgradeStrategy")
    if us is not None and r.obj(us, "/upgradeStrategy"):
        for key in ("minimumHealthCapacity", "maximumOverCapacity"):
            if _opt(us, key) is not None:
                r.number(us[key], "/upgradeStrategy/" + key)
    if _opt(app, "killSelection") is not None:
        r.enum(app["killSelection"], "/killSelection", KILL_SELECTIONS)
    if _opt(app, "fetch") is not None and r.arr(app["fetch"], "/fetch"):
        for i, f in enumerate(app["fetch"]):
            if r.obj(f, "/fetch(%d)" % i):
                r.string(f.get("uri"), "/fetch(%d)/uri" % i, min_len=1)
    if _opt(app, "secrets") is not None:
        r.obj(app["secrets"], "/secrets")
    us2 = _opt(app, "unreachableStrategy")
    if us2 is not None and not (isinstance(us2, str) and us2 == "disabled"):
        r.obj(us2, "/unreachableStrategy")
    return r.e


def canonical_id(raw_id, base="/"):
    """PathId canonicalisation: absolute, no empty/'.' segments, '..' resolved."""
    if raw_id.startswith("/"):
        parts = []
    else:
        parts = [p for p in base.split("/") if p]
    for seg in raw_id.split("/"):
        if seg == "" or seg == ".":
            continue
        if seg == "..":
            if parts:
                parts.pop()
            continue
        parts.append(seg)
    return "/" + "/".join(parts)


def _network_mode_of(app):
    nets = app.get("networks")
    if isinstance(nets, list) and nets:
        modes = [str((n or {}).get("mode") or "container").lower() for n in nets if isinstance(n, dict)]
        return modes
    c = app.get("container")
    if isinstance(c, dict) and isinstance(c.get("docker"), dict) and c["docker"].get("network"):
        legacy = str(c["docker"]["network"]).upper()
        return [{"BRIDGE": "container/bridge", "USER": "container"}.get(legacy, "host")]
    return ["host"]


def semantic_checks(app, app_id, is_update=False):
    """Marathon's AppValidation (422 'Object is not valid')."""
    e = Errors()
    # id (PathIdValidation)
    segs = [s for s in app_id.split("/") if s]
    if not segs:
        e.add("/id", "Path must contain at least one path element")
        e.add("/", "must not be root")
    else:
        if any(not SEGMENT_RE.fullmatch(s) for s in segs):
            e.add("/id", "must fully match regular expression '%s'" % SEGMENT_PATTERN_TEXT)
        if segs[-1] in RESERVED_LAST_SEGMENTS:
            e.add("/id", "must not end with any of the following reserved keywords: %s"
                  % ", ".join(RESERVED_LAST_SEGMENTS))
    # cmd / args / container
    cmd_set = isinstance(app.get("cmd"), str) and app.get("cmd") != ""
    args_set = isinstance(app.get("args"), list) and len(app["args"]) > 0
    c = app.get("container") if isinstance(app.get("container"), dict) else None
    ctype = str((c or {}).get("type") or "DOCKER").upper()
    container_ok = bool(c) and isinstance(c.get("docker"), dict) and ctype in CONTAINER_TYPES
    if not ((cmd_set != args_set) or (not (cmd_set and args_set) and container_ok)):
        e.add("/", MSG_CMD_ARGS)
    # networking
    docker = (c or {}).get("docker") if isinstance((c or {}).get("docker"), dict) else {}
    if docker.get("network") and isinstance(app.get("networks"), list) and app["networks"]:
        e.add("/", MSG_DOCKER_NET_BOTH)
    modes = _network_mode_of(app)
    pms = (c or {}).get("portMappings")
    if pms is None:
        pms = docker.get("portMappings")
    pms = pms if isinstance(pms, list) else []
    pds = app.get("portDefinitions") if isinstance(app.get("portDefinitions"), list) else []
    if "host" in modes and pms:
        e.add("/", MSG_PM_HOST)
    if any(m != "host" for m in modes) and pds:
        e.add("/", MSG_PD_NONHOST)
    ports = app.get("ports") if isinstance(app.get("ports"), list) else []
    if ports and pds and [p.get("port", 0) for p in pds if isinstance(p, dict)] != ports:
        e.add("/", MSG_PORTS_BOTH)
    nonzero = [p for p in ports if p != 0]
    if len(set(nonzero)) != len(nonzero):
        e.add("/", "ports must be unique")
    names = [p.get("name") for p in pds if isinstance(p, dict) and p.get("name")]
    if len(set(names)) != len(names):
        e.add("/portDefinitions", "Port names must be unique.")
    pd_ports = [p.get("port") for p in pds if isinstance(p, dict) and p.get("port")]
    if len(set(pd_ports)) != len(pd_ports):
        e.add("/portDefinitions", "Ports must be unique.")
    pm_names = [p.get("name") for p in pms if isinstance(p, dict) and p.get("name")]
    if len(set(pm_names)) != len(pm_names):
        e.add("/container/portMappings", "Port names must be unique.")
    # health checks
    if pms:
        n_ports = len(pms)
    elif app.get("portDefinitions") is not None:
        n_ports = len(pds)
    elif ports:
        n_ports = len(ports)
    elif "host" in modes:
        n_ports = 1  # default portDefinitions: one dynamic port
    elif "container/bridge" in modes and c is not None:
        n_ports = 1  # default bridge port mapping
    else:
        n_ports = 0
    hcs = app.get("healthChecks") if isinstance(app.get("healthChecks"), list) else []
    mesos_hc = 0
    for i, hc in enumerate(hcs):
        if not isinstance(hc, dict):
            continue
        proto = str(hc.get("protocol") or "HTTP").upper()
        has_cmd = hc.get("command") is not None
        if proto in MESOS_HC_PROTOCOLS and not has_cmd:
            mesos_hc += 1
        if has_cmd or proto == "COMMAND":
            continue
        idx = hc.get("portIndex")
        if idx is not None:
            if not (0 <= int(idx) < n_ports):
                e.add("/healthChecks(%d)" % i, MSG_HC_PORTINDEX)
        elif hc.get("port") is None and n_ports != 1:
            e.add("/healthChecks(%d)" % i, MSG_HC_PORTINDEX)
    if mesos_hc > 1:
        e.add("/", MSG_ONE_MESOS_HC)
    # upgrade strategy (message as documented in the RAML example)
    us = app.get("upgradeStrategy") if isinstance(app.get("upgradeStrategy"), dict) else {}
    for key in ("minimumHealthCapacity", "maximumOverCapacity"):
        v = us.get(key)
        if _is_num(v):
            if v > 1:
                e.add("/upgradeStrategy/" + key, "is greater than 1")
            elif v < 0:
                e.add("/upgradeStrategy/" + key, "is less than 0")
    if _is_num(app.get("gpus")) and app["gpus"] > 0 and c is not None and ctype == "DOCKER":
        e.add("/", MSG_GPU_DOCKER)
    cons = app.get("constraints") if isinstance(app.get("constraints"), list) else []
    for i, con in enumerate(cons):
        if not isinstance(con, list) or not (2 <= len(con) <= 3):
            e.add("/constraints(%d)" % i, "Each constraint must have either 2 or 3 fields")
        elif str(con[1]).upper() not in CONSTRAINT_OPS:
            e.add("/constraints(%d)" % i, "Constraint operator must be one of the following: %s"
                  % ", ".join(CONSTRAINT_OPS))
    rcs = app.get("readinessChecks") if isinstance(app.get("readinessChecks"), list) else []
    if len(rcs) > 1:
        e.add("/readinessChecks", "got %d, expected 1 or less" % len(rcs))
    return e


def version_with_other_fields(body):
    if body.get("version") is None:
        return False
    return any(v is not None for k, v in body.items() if k not in ("id", "version"))


# --------------------------------------------------------------------------
# Normalisation (AppNormalization): defaults filled, legacy fields migrated
# --------------------------------------------------------------------------

def _norm_port_mapping(pm, bridge):
    out = {"containerPort": pm.get("containerPort") if pm.get("containerPort") is not None else 0}
    if pm.get("hostPort") is not None:
        out["hostPort"] = pm["hostPort"]
    elif bridge:
        out["hostPort"] = 0
    out["labels"] = dict(pm.get("labels") or {})
    if pm.get("name") is not None:
        out["name"] = pm["name"]
    out["protocol"] = pm.get("protocol") or "tcp"
    out["servicePort"] = pm.get("servicePort") if pm.get("servicePort") is not None else 0
    if pm.get("networkNames"):
        out["networkNames"] = list(pm["networkNames"])
    return out


def _norm_health_check(hc):
    proto = str(hc.get("protocol") or "HTTP").upper()
    if hc.get("command") is not None:
        proto = "COMMAND"
    out = {"gracePeriodSeconds": 300, "intervalSeconds": 60, "maxConsecutiveFailures": 3,
           "timeoutSeconds": 20, "delaySeconds": 15, "protocol": proto}
    for key in ("gracePeriodSeconds", "intervalSeconds", "maxConsecutiveFailures", "timeoutSeconds", "delaySeconds"):
        if hc.get(key) is not None:
            out[key] = int(hc[key])
    if proto in ("HTTP", "HTTPS", "MESOS_HTTP", "MESOS_HTTPS"):
        out["path"] = hc.get("path") or "/"
    if proto in ("HTTP", "HTTPS"):
        out["ignoreHttp1xx"] = bool(hc.get("ignoreHttp1xx", False))
    if proto in ("MESOS_HTTP", "MESOS_HTTPS", "MESOS_TCP"):
        out["ipProtocol"] = hc.get("ipProtocol") or "IPv4"
    if proto == "COMMAND":
        out["command"] = hc.get("command") or {"value": ""}
    elif hc.get("port") is not None:
        out["port"] = int(hc["port"])
    else:
        out["portIndex"] = int(hc.get("portIndex") or 0)
    return out


def normalize_app(raw, app_id):
    """Turn a validated request body into the stored (canonical) app definition."""
    out = {"id": app_id}
    out["backoffFactor"] = raw.get("backoffFactor") if raw.get("backoffFactor") is not None else 1.15
    out["backoffSeconds"] = int(raw["backoffSeconds"]) if raw.get("backoffSeconds") is not None else 1
    if raw.get("cmd") is not None:
        out["cmd"] = raw["cmd"]
    if raw.get("args"):
        out["args"] = list(raw["args"])
    if raw.get("constraints"):
        out["constraints"] = [[str(con[0]), str(con[1]).upper()] + [str(x) for x in con[2:]]
                              for con in raw["constraints"]]
    modes = _network_mode_of(raw)
    mode = modes[0]
    c = raw.get("container")
    legacy_pms = None
    if isinstance(c, dict):
        ctype = str(c.get("type") or "DOCKER").upper()
        nc = {"type": ctype}
        d = c.get("docker")
        if isinstance(d, dict):
            nd = {"forcePullImage": bool(d.get("forcePullImage", False)), "image": d["image"]}
            if ctype == "DOCKER":
                nd["parameters"] = [dict(p) for p in (d.get("parameters") or [])]
                nd["privileged"] = bool(d.get("privileged", False))
            for key in ("pullConfig", "credential"):
                if d.get(key) is not None:
                    nd[key] = d[key]
            nc["docker"] = nd
            legacy_pms = d.get("portMappings")
        if c.get("appc") is not None:
            nc["appc"] = c["appc"]
        pms = c.get("portMappings")
        if pms is None:
            pms = legacy_pms
        if mode != "host":
            if pms is None and mode == "container/bridge":
                pms = [{}]
            nc["portMappings"] = [_norm_port_mapping(pm, mode == "container/bridge") for pm in (pms or [])]
        nc["volumes"] = [copy.deepcopy(v) for v in (c.get("volumes") or [])]
        out["container"] = nc
    out["cpus"] = raw.get("cpus") if raw.get("cpus") is not None else 1
    if raw.get("dependencies"):
        out["dependencies"] = [canonical_id(x, app_id.rsplit("/", 1)[0] or "/") for x in raw["dependencies"]]
    out["disk"] = raw.get("disk") if raw.get("disk") is not None else 0
    if raw.get("env"):
        out["env"] = copy.deepcopy(raw["env"])
    out["executor"] = raw.get("executor") if raw.get("executor") is not None else ""
    if raw.get("fetch"):
        out["fetch"] = copy.deepcopy(raw["fetch"])
    elif raw.get("uris"):
        out["fetch"] = [{"uri": u, "extract": True, "executable": False, "cache": False} for u in raw["uris"]]
    if raw.get("healthChecks"):
        out["healthChecks"] = [_norm_health_check(hc) for hc in raw["healthChecks"]]
    out["instances"] = int(raw["instances"]) if raw.get("instances") is not None else 1
    out["labels"] = dict(raw.get("labels") or {})
    out["maxLaunchDelaySeconds"] = (int(raw["maxLaunchDelaySeconds"])
                                    if raw.get("maxLaunchDelaySeconds") is not None else 300)
    out["mem"] = raw.get("mem") if raw.get("mem") is not None else 128
    out["gpus"] = int(raw["gpus"]) if raw.get("gpus") is not None else 0
    nets = raw.get("networks")
    if isinstance(nets, list) and nets:
        norm_nets = []
        for n in nets:
            nn = {"mode": str(n.get("mode") or "container").lower()}
            if n.get("name") is not None:
                nn["name"] = n["name"]
            if n.get("labels"):
                nn["labels"] = dict(n["labels"])
            norm_nets.append(nn)
        out["networks"] = norm_nets
    else:
        out["networks"] = [{"mode": mode}]
    if mode == "host":
        if raw.get("portDefinitions") is not None:
            pds = raw["portDefinitions"]
        elif raw.get("ports") is not None:
            pds = [{"port": p} for p in raw["ports"]]
        else:
            pds = [{"port": 0, "name": "default"}]
        norm_pds = []
        for pd in pds:
            npd = {"port": pd.get("port") if pd.get("port") is not None else 0,
                   "protocol": pd.get("protocol") or "tcp"}
            if pd.get("name") is not None:
                npd["name"] = pd["name"]
            npd["labels"] = dict(pd.get("labels") or {})
            norm_pds.append(npd)
        out["portDefinitions"] = norm_pds
    else:
        out["portDefinitions"] = []
    if raw.get("readinessChecks"):
        out["readinessChecks"] = copy.deepcopy(raw["readinessChecks"])
    out["requirePorts"] = bool(raw.get("requirePorts", False))
    if raw.get("secrets"):
        out["secrets"] = copy.deepcopy(raw["secrets"])
    us = raw.get("upgradeStrategy") or {}
    out["upgradeStrategy"] = {
        "maximumOverCapacity": us.get("maximumOverCapacity") if us.get("maximumOverCapacity") is not None else 1,
        "minimumHealthCapacity": us.get("minimumHealthCapacity") if us.get("minimumHealthCapacity") is not None else 1,
    }
    for key in ("user", "acceptedResourceRoles", "taskKillGracePeriodSeconds", "residency", "ipAddress", "tty"):
        if raw.get(key) is not None:
            out[key] = copy.deepcopy(raw[key])
    out["killSelection"] = str(raw.get("killSelection") or "YOUNGEST_FIRST").upper()
    if raw.get("unreachableStrategy") is not None:
        out["unreachableStrategy"] = copy.deepcopy(raw["unreachableStrategy"])
    else:
        out["unreachableStrategy"] = {"inactiveAfterSeconds": 0, "expungeAfterSeconds": 0}
    out["role"] = raw.get("role") or "*"
    return out


def service_ports_of(d):
    pms = (d.get("container") or {}).get("portMappings") or []
    if pms:
        return [pm.get("servicePort", 0) for pm in pms]
    return [pd.get("port", 0) for pd in d.get("portDefinitions") or []]


def inherit_service_ports(d, prev):
    """Keep the service ports Marathon already assigned when an update leaves them at 0."""
    old = [p for p in service_ports_of(prev) if p]
    pms = (d.get("container") or {}).get("portMappings") or []
    targets = [(pm, "servicePort") for pm in pms] if pms else \
        [(pd, "port") for pd in d.get("portDefinitions") or []]
    for i, (obj, key) in enumerate(targets):
        if not obj.get(key) and i < len(old) and old[i] not in [o.get(k) for o, k in targets]:
            obj[key] = old[i]


RUNTIME_FIELDS = ("version", "versionInfo", "tasksStaged", "tasksRunning", "tasksHealthy", "tasksUnhealthy",
                  "deployments", "tasks", "lastTaskFailure", "readinessCheckResults", "taskStats")


def strip_runtime(d):
    return {k: v for k, v in d.items() if k not in RUNTIME_FIELDS}


def classify_change(old, new):
    if old is None:
        return "create"
    a = {k: v for k, v in old.items() if k not in ("version", "versionInfo", "instances")}
    b = {k: v for k, v in new.items() if k not in ("version", "versionInfo", "instances")}
    if a != b:
        return "restart"
    if old.get("instances") != new.get("instances"):
        return "scale"
    return "none"


def parse_label_selector(text):
    """Marathon label selectors: k, k==v, k!=v, k in (a,b), k notin (a,b); ',' = AND."""
    terms = []
    depth = 0
    cur = ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            terms.append(cur)
            cur = ""
        else:
            cur += ch
    terms.append(cur)
    out = []
    for t in terms:
        t = t.strip()
        if not t:
            raise ValueError("empty selector term")
        m = re.fullmatch(r"(.+?)\s*(==|!=)\s*(.*)", t)
        if m:
            out.append((m.group(1).strip(), m.group(2), [m.group(3).strip()]))
            continue
        m = re.fullmatch(r"(\S+)\s+(in|notin)\s*\((.*)\)", t)
        if m:
            out.append((m.group(1), m.group(2), [x.strip() for x in m.group(3).split(",")]))
            continue
        if re.fullmatch(r"[^\s=!(),]+", t):
            out.append((t, "exists", []))
            continue
        raise ValueError("can not parse '%s'" % t)
    return out


def label_match(selectors, labels):
    for key, op, vals in selectors:
        if op == "exists" and key not in labels:
            return False
        if op in ("==", "in") and labels.get(key) not in vals:
            return False
        if op in ("!=", "notin") and key in labels and labels[key] in vals:
            return False
        if op in ("!=", "notin") and key not in labels:
            return False
    return True


# --------------------------------------------------------------------------
# The emulator state machine (no HTTP in here)
# --------------------------------------------------------------------------


# --------------------------------------------------------------------------
# Hostile answers: a normally processed response, changed on its way out
# --------------------------------------------------------------------------

def check_mutations(mutations):
    """Validate a rule's "mutate" list: [[path, value], ...], path a list of keys/indices/"*"."""
    if not isinstance(mutations, list):
        raise ValueError("mutate must be a list of [path, value] pairs")
    for m in mutations:
        if not (isinstance(m, list) and len(m) == 2 and isinstance(m[0], list) and m[0]):
            raise ValueError("each mutation is [path, value] with a non-empty path list")
        for step in m[0]:
            if not (isinstance(step, str) or (isinstance(step, int) and not isinstance(step, bool))):
                raise ValueError("path steps are object keys (strings), array indices or \"*\"")
        v = m[1]
        if isinstance(v, dict) and ("$raw" in v or "$delete" in v):
            if len(v) != 1 or ("$raw" in v and not isinstance(v["$raw"], str)):
                raise ValueError("a value is {\"$raw\": \"TEXT\"}, {\"$delete\": true} or plain JSON")


class _Raw(object):
    """A placeholder for text emitted verbatim in the JSON (e.g. 1e999999, "\\u0000")."""
    __slots__ = ("text", "mark")

    def __init__(self, text, n):
        self.text = text
        self.mark = "\x00raw%d\x00" % n


def _apply_mutation(node, path, value):
    """Set (or delete) what path designates inside node; "*" means every element or value."""
    step, rest = path[0], path[1:]
    if step == "*":
        if isinstance(node, list):
            keys = list(range(len(node)))
        elif isinstance(node, dict):
            keys = list(node.keys())
        else:
            return
    else:
        keys = [step]
    for k in keys:
        if isinstance(node, list):
            if not isinstance(k, int) or not -len(node) <= k < len(node):
                continue
        elif isinstance(node, dict):
            if not isinstance(k, str):
                continue
        else:
            continue
        if rest:
            if isinstance(node, dict) and k not in node:
                continue
            _apply_mutation(node[k], rest, value)
        elif isinstance(value, dict) and value.get("$delete"):
            if isinstance(node, dict):
                node.pop(k, None)
            else:
                del node[k]
        else:
            node[k] = copy.deepcopy(value) if not isinstance(value, _Raw) else value


def mutate_json_body(body, mutations):
    """Apply [[path, value], ...] to a JSON body (bytes); non-JSON bodies are left alone."""
    try:
        doc = json.loads(body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return body
    raws = []
    for path, value in mutations:
        if isinstance(value, dict) and "$raw" in value:
            value = _Raw(value["$raw"], len(raws))
            raws.append(value)
        if path == ["$"]:
            doc = value
            continue
        _apply_mutation(doc, path, value)

    def default(o):
        if isinstance(o, _Raw):
            return o.mark
        raise TypeError("not JSON serialisable: %r" % (o,))

    text = json.dumps(doc, separators=(",", ":"), default=default)
    for r in raws:
        text = text.replace(json.dumps(r.mark), r.text)
    return text.encode("utf-8")


def mangle_response(resp, rule):
    """What a hostile Marathon (or a proxy) does to a processed answer: replace headers,
    mutate the JSON body, append bytes (trailing garbage)."""
    for k, v in (rule.get("headers") or {}).items():
        resp.headers = [(hk, hv) for hk, hv in resp.headers if hk.lower() != str(k).lower()]
        resp.headers.append((str(k), str(v)))
    if rule.get("mutate"):
        resp.body = mutate_json_body(resp.body, rule["mutate"])
    if rule.get("append") is not None:
        resp.body = resp.body + str(rule["append"]).encode("utf-8")
    return resp


class Emulator(object):
    def __init__(self, defaults, prefix="", log_file=None, max_log=200000):
        self.lock = threading.RLock()
        self.defaults = dict(defaults)
        self.config = dict(defaults)
        self.prefix = prefix
        self.max_log = max_log
        self.framework_id = str(uuid.uuid4()) + "-0000"
        self.ctl = None
        self.port = 0
        self.host = "127.0.0.1"
        self.log_file = None
        self.log_file_lock = threading.Lock()
        if log_file:
            self.log_file = open(log_file, "a", encoding="utf-8")
        self.last_version_ms = 0
        # held requests (fault "hold") wait for a release: a generation counter
        self.hold_cond = threading.Condition()
        self.hold_gen = 0
        self.held = 0
        self._reset_state()

    # ---- state ------------------------------------------------------------

    def _reset_state(self):
        self.apps = {}         # id -> {"def": dict, "tasks": [task dict]}
        self.versions = {}     # id -> [(version, def)]  oldest first
        self.deployments = {}  # id -> deployment record (insertion ordered)
        self.faults = []
        self.log = []
        self.seq = 0
        self.fault_seq = 0

    def reset(self, keep_config=False):
        with self.lock:
            self._reset_state()
            if not keep_config:
                self.config = dict(self.defaults)
        self.release()

    def hold(self):
        """Block the calling request until release() (or HOLD_MAX_SECONDS)."""
        with self.hold_cond:
            gen = self.hold_gen
            self.held += 1
            deadline = time.monotonic() + HOLD_MAX_SECONDS
            while self.hold_gen == gen:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.hold_cond.wait(left)
            self.held -= 1

    def release(self):
        """Let every held request go on; returns how many were held."""
        with self.hold_cond:
            n = self.held
            self.hold_gen += 1
            self.hold_cond.notify_all()
            return n

    def _new_version(self):
        ms = int(time.time() * 1000)
        if ms <= self.last_version_ms:
            ms = self.last_version_ms + 1
        self.last_version_ms = ms
        return iso_ms(ms)

    def leader(self):
        return "%s:%d" % (self.host, self.port)

    # ---- request log --------------------------------------------------------

    def log_start(self, entry):
        with self.lock:
            self.seq += 1
            entry["seq"] = self.seq
            self.log.append(entry)
            if len(self.log) > self.max_log:
                del self.log[: len(self.log) - self.max_log]

    def log_finish(self, entry):
        if self.log_file is not None:
            line = json.dumps(entry, separators=(",", ":"), default=str)
            with self.log_file_lock:
                self.log_file.write(line + "\n")
                self.log_file.flush()

    def get_log(self, since=0, method=None, path=None):
        with self.lock:
            out = [e for e in self.log if e["seq"] > since]
        if method:
            out = [e for e in out if e["method"] == method.upper()]
        if path:
            out = [e for e in out if e["path"].startswith(path)]
        return [dict(e) for e in out]

    # ---- faults -------------------------------------------------------------

    def add_faults(self, rules):
        clean = []
        for r in rules:
            if not isinstance(r, dict):
                raise ValueError("each fault rule must be a JSON object")
            unknown = [k for k in r if k not in FAULT_KEYS]
            if unknown:
                raise ValueError("unknown fault rule keys: %s" % ", ".join(sorted(unknown)))
            if not any(r.get(k) for k in ("status", "drop", "reset", "garbage", "latency_ms", "refuse", "hold")) and \
                    not any(r.get(k) is not None for k in MANGLE_KEYS):
                raise ValueError("a fault rule needs one of status, latency_ms, hold, drop, reset, garbage, refuse, "
                                 "mutate, append, headers")
            if r.get("mutate") is not None:
                check_mutations(r["mutate"])
            if r.get("body_regex") is not None:
                if not isinstance(r["body_regex"], str):
                    raise ValueError("body_regex must be a regular expression")
                try:
                    re.compile(r["body_regex"])
                except re.error as e:
                    raise ValueError("body_regex: %s" % e)
            if r.get("append") is not None and not isinstance(r["append"], str):
                raise ValueError("append must be a string")
            if r.get("body_bytes") is not None:
                if not isinstance(r["body_bytes"], str) or any(ord(c) > 255 for c in r["body_bytes"]):
                    raise ValueError("body_bytes must be a string of characters U+0000..U+00FF")
                if not (r.get("status") or r.get("garbage")):
                    raise ValueError("body_bytes needs status (or garbage)")
            if r.get("headers") is not None:
                if not isinstance(r["headers"], dict) or \
                        any(re.search(r"[\r\n]", str(k) + str(v)) for k, v in r["headers"].items()):
                    raise ValueError("headers must be an object of single-line values")
            rule = dict(r)
            count = rule.get("count", 1)
            if not isinstance(count, int) or isinstance(count, bool) or count == 0:
                raise ValueError("count must be a positive integer (or -1 for unlimited)")
            rule["count"] = count
            if rule.get("status") is not None:
                if not isinstance(rule["status"], int) or not 100 <= rule["status"] <= 599:
                    raise ValueError("status must be an HTTP status code")
            if rule.get("refuse"):
                secs = rule.get("seconds", 1)
                if not _is_num(secs) or secs < 0:
                    raise ValueError("refuse needs seconds >= 0")
                rule["seconds"] = float(secs)
            if rule.get("method"):
                rule["method"] = str(rule["method"]).upper()
            clean.append(rule)
        with self.lock:
            for rule in clean:
                self.fault_seq += 1
                rule["id"] = self.fault_seq
                self.faults.append(rule)
            return self._pop_refuse()

    def clear_faults(self):
        with self.lock:
            self.faults = []

    def list_faults(self):
        with self.lock:
            return [dict(r) for r in self.faults]

    def _pop_refuse(self):
        """A refuse rule acts as soon as it reaches the front of the queue."""
        if self.faults and self.faults[0].get("refuse"):
            rule = self.faults.pop(0)
            return rule["seconds"]
        return None

    def take_fault(self, method, path, body=b""):
        """Return (rule or None, refuse_seconds or None) for one incoming request."""
        with self.lock:
            if not self.faults:
                return None, None
            for i, rule in enumerate(self.faults):
                if rule.get("refuse"):
                    continue
                if rule.get("method") and rule["method"] != method:
                    continue
                if rule.get("path") and not path.startswith(rule["path"]):
                    continue
                if rule.get("body_regex") and \
                        not re.search(rule["body_regex"], (body or b"").decode("utf-8", "replace")):
                    continue
                taken = dict(rule)
                if rule["count"] > 0:
                    rule["count"] -= 1
                    if rule["count"] == 0:
                        del self.faults[i]
                return taken, self._pop_refuse()
            return None, None

    def after_relisten(self):
        with self.lock:
            secs = self._pop_refuse()
        if secs is not None and self.ctl is not None:
            self.ctl.refuse(secs)

    # ---- configuration --------------------------------------------------------

    def set_config(self, body):
        if not isinstance(body, dict):
            raise ValueError("config must be a JSON object")
        unknown = [k for k in body if k not in CONFIG_KEYS]
        if unknown:
            raise ValueError("unknown config keys: %s" % ", ".join(sorted(unknown)))
        new = {}
        for k, v in body.items():
            if k == "deploy_seconds":
                if not _is_num(v) or v < 0:
                    raise ValueError("deploy_seconds must be a number >= 0")
                new[k] = float(v)
            elif k in ("stuck", "unhealthy", "auth_ping", "leader"):
                if not isinstance(v, bool):
                    raise ValueError("%s must be true or false" % k)
                new[k] = v
            elif k == "stuck_ids":
                if v is None:
                    v = []
                if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
                    raise ValueError("stuck_ids must be a list of regular expressions")
                for x in v:
                    re.compile(x)
                new[k] = list(v)
            elif k == "max_running_deployments":
                if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                    raise ValueError("max_running_deployments must be a positive integer")
                new[k] = v
            elif k == "auth":
                new[k] = parse_auth(v)
            elif k == "next_deployment_ids":
                if v is None:
                    v = []
                if not isinstance(v, list) or not all(isinstance(x, str) and x and
                                                      not re.search(r"[\x00-\x1f\x7f]", x) for x in v):
                    raise ValueError("next_deployment_ids must be a list of non-empty single-line strings")
                new[k] = list(v)
            else:
                if not isinstance(v, str):
                    raise ValueError("%s must be a string" % k)
                new[k] = v
        with self.lock:
            self.config.update(new)
            return self.config_view()

    def config_view(self):
        with self.lock:
            cfg = dict(self.config)
            cfg["auth"] = auth_to_spec(cfg["auth"])
            cfg["prefix"] = self.prefix
            return cfg

    # ---- deployments ------------------------------------------------------------

    def _deps_for(self, app_id):
        return [d for d in self.deployments.values() if d["app"] == app_id]

    def _is_stuck(self, app_id):
        if self.config["stuck"]:
            return True
        return any(re.search(rx, app_id) for rx in self.config["stuck_ids"])

    def _check_locks(self, app_id, force):
        """409 locked unless force; 403 when too many deployments. Returns the deployments to cancel."""
        conflicts = self._deps_for(app_id)
        if conflicts and not force:
            fail(409, MSG_LOCKED, deployments=[{"id": d["id"]} for d in conflicts])
        limit = self.config["max_running_deployments"]
        if not force and len(self.deployments) - len(conflicts) >= limit:
            fail(403, MSG_TOO_MANY.format(n=limit))
        return conflicts

    def _cancel(self, deps):
        for d in deps:
            self.deployments.pop(d["id"], None)

    def _start_deployment(self, app_id, kind, version, before):
        queued = self.config.get("next_deployment_ids") or []
        if queued:
            # a hostile Marathon: the next deployments get these ids instead of UUIDs
            dep_id = queued[0]
            self.config["next_deployment_ids"] = queued[1:]
        else:
            dep_id = str(uuid.uuid4())
        app = self.apps.get(app_id)
        has_hc = bool(app and app["def"].get("healthChecks"))
        dep = {
            "id": dep_id, "version": version, "app": app_id, "kind": kind,
            "steps": list(STEPS_BY_KIND[kind]), "created": time.monotonic(),
            "duration": float(self.config["deploy_seconds"]),
            "stuck": self._is_stuck(app_id),
            "unhealthy": bool(self.config["unhealthy"]) and has_hc and kind != "delete",
            "before": before, "staged": False,
        }
        if not dep["steps"]:
            return dep_id
        self.deployments[dep_id] = dep
        self._progress(dep, time.monotonic())
        return dep_id

    def _progress(self, dep, now):
        """Advance one deployment; returns True when it finished (and was removed).

        A deployment created while `stuck` (or a matching `stuck_ids` entry) or `unhealthy`
        applied keeps hanging only as long as that setting still applies: switching it off
        releases the deployment (it then finishes normally).  Deployments created while the
        setting was off are never affected by turning it on later."""
        if now - dep["created"] < dep["duration"]:
            return False
        if dep["stuck"] and self._is_stuck(dep["app"]):
            if not dep["staged"]:
                self._launch(dep, "TASK_STAGING", True)
                dep["staged"] = True
            return False
        if dep["unhealthy"] and self.config["unhealthy"]:
            if not dep["staged"]:
                self._launch(dep, "TASK_RUNNING", False)
                dep["staged"] = True
            return False
        self._finish(dep)
        return True

    def _finish(self, dep):
        self._launch(dep, "TASK_RUNNING", True)
        self.deployments.pop(dep["id"], None)

    def _advance(self):
        if not self.deployments:
            return
        now = time.monotonic()
        for dep in list(self.deployments.values()):
            self._progress(dep, now)

    def _launch(self, dep, state, healthy):
        app = self.apps.get(dep["app"])
        if dep["kind"] == "delete" or app is None or app["def"].get("version") != dep["version"]:
            return
        d = app["def"]
        n = d["instances"]
        old_running = [t for t in app["tasks"] if t["state"] == "TASK_RUNNING"]
        if state == "TASK_STAGING":
            # stuck: old tasks keep running, the new ones never get past staging
            keep = old_running if dep["kind"] != "scale" else old_running[:n]
            new = n if dep["kind"] != "scale" else max(0, n - len(keep))
            app["tasks"] = keep + [self._make_task(d, state, healthy) for _ in range(new)]
            return
        if dep["kind"] == "scale" and healthy:
            keep = old_running[:n]
        else:
            keep = []
        app["tasks"] = keep + [self._make_task(d, state, healthy) for _ in range(n - len(keep))]

    def _make_task(self, d, state, healthy):
        base = d["id"].lstrip("/").replace("/", "_")
        inst = "%s.instance-%s" % (base, uuid.uuid4())
        ts = now_iso()
        pms = (d.get("container") or {}).get("portMappings") or []
        if pms:
            host_ports = [pm for pm in pms if "hostPort" in pm]
            ports = [pm["hostPort"] or random.randint(31000, 32000) for pm in host_ports]
        else:
            ports = [(pd["port"] if d.get("requirePorts") and pd["port"] else random.randint(31000, 32000))
                     for pd in d.get("portDefinitions") or []]
        host = self.config["task_host"]
        ip = host if re.fullmatch(r"[0-9.]+", host) else "127.0.0.1"
        task = {"appId": d["id"], "healthCheckResults": [], "host": host, "id": inst + "._app.1",
                "ipAddresses": [{"ipAddress": ip, "protocol": "IPv4"}], "ports": ports,
                "servicePorts": service_ports_of(d), "slaveId": self.framework_id[:-5] + "-S0",
                "state": state, "stagedAt": ts, "version": d["version"], "localVolumes": [], "role": "*"}
        if state == "TASK_RUNNING":
            task["startedAt"] = ts
            for _hc in d.get("healthChecks") or []:
                if healthy:
                    task["healthCheckResults"].append({
                        "alive": True, "consecutiveFailures": 0, "firstSuccess": ts, "lastFailure": None,
                        "lastSuccess": ts, "lastFailureCause": None, "instanceId": inst})
                else:
                    task["healthCheckResults"].append({
                        "alive": False, "consecutiveFailures": 3, "firstSuccess": None, "lastFailure": ts,
                        "lastSuccess": None, "lastFailureCause": "Unhealthy (emulated)", "instanceId": inst})
        return task

    def _dep_info(self, dep, now):
        steps = dep["steps"]
        n = len(steps)
        if dep["duration"] > 0:
            cur = 1 + int((now - dep["created"]) / dep["duration"] * n)
        else:
            cur = n
        cur = max(1, min(n, cur))
        app_id = dep["app"]
        return {"id": dep["id"], "version": dep["version"], "affectedApps": [app_id], "affectedPods": [],
                "steps": [{"actions": [{"action": a, "app": app_id}]} for a in steps],
                "currentActions": [{"action": steps[cur - 1], "app": app_id, "readinessCheckResults": []}],
                "currentStep": cur, "totalSteps": n}

    # ---- apps -------------------------------------------------------------------

    def _app_info(self, app, tasks=False, deployments=None, readiness=False):
        d = app["def"]
        out = dict(d)
        staged = running = healthy = unhealthy = 0
        has_hc = bool(d.get("healthChecks"))
        for t in app["tasks"]:
            if t["state"] in ("TASK_STAGING", "TASK_STARTING"):
                staged += 1
            elif t["state"] == "TASK_RUNNING":
                running += 1
                if has_hc:
                    hcr = t["healthCheckResults"]
                    if hcr and all(r["alive"] for r in hcr):
                        healthy += 1
                    else:
                        unhealthy += 1
        out["tasksStaged"] = staged
        out["tasksRunning"] = running
        out["tasksHealthy"] = healthy
        out["tasksUnhealthy"] = unhealthy
        if deployments is None:
            deployments = [{"id": x["id"]} for x in self._deps_for(d["id"])]
        out["deployments"] = deployments
        if readiness:
            out["readinessCheckResults"] = []
        if tasks:
            out["tasks"] = list(app["tasks"])
        return out

    def _assign_service_ports(self, d, exclude_id):
        used = set()
        for aid, a in self.apps.items():
            if aid != exclude_id:
                used.update(p for p in service_ports_of(a["def"]) if p)
        nxt = 10000

        def alloc():
            nonlocal nxt
            while nxt in used and nxt < 20000:
                nxt += 1
            used.add(nxt)
            return nxt

        pms = (d.get("container") or {}).get("portMappings") or []
        if pms:
            for pm in pms:
                if not pm.get("servicePort"):
                    pm["servicePort"] = alloc()
        else:
            for pd in d.get("portDefinitions") or []:
                if not pd.get("port"):
                    pd["port"] = alloc()

    def _validated(self, raw, app_id, is_update=False):
        """Reads + semantic validation, then normalisation. Raises 422 ApiError."""
        body = dict(raw)
        if app_id is not None:
            body["id"] = app_id
        errs = read_checks(body, require_id=True)
        if errs:
            raise ApiError(Resp(422, {"message": "Invalid JSON", "details": errs.details()}))
        cid = canonical_id(body["id"])
        errs = semantic_checks(body, cid, is_update)
        if errs:
            raise ApiError(Resp(422, {"message": "Object is not valid", "details": errs.details()}))
        return normalize_app(body, cid)

    def _store(self, app_id, d, kind, version, before, prev_version_info=None):
        d.pop("version", None)
        d.pop("versionInfo", None)
        d["version"] = version
        if kind in ("create", "restart"):
            d["versionInfo"] = {"lastScalingAt": version, "lastConfigChangeAt": version}
        elif kind == "scale":
            d["versionInfo"] = {"lastScalingAt": version,
                                "lastConfigChangeAt": prev_version_info["lastConfigChangeAt"]}
        else:
            d["versionInfo"] = dict(prev_version_info)
        app = self.apps.get(app_id)
        if app is None:
            app = {"def": d, "tasks": []}
            self.apps[app_id] = app
        else:
            app["def"] = d
        self.versions.setdefault(app_id, []).append((version, copy.deepcopy(d)))
        if len(self.versions[app_id]) > 50:
            del self.versions[app_id][0]
        return self._start_deployment(app_id, kind, version, before)

    def _location(self, host_header, app_id):
        host = host_header or self.leader()
        return "http://%s%s" % (host, app_id)

    def create_app(self, raw, force, host_header):
        if not isinstance(raw, dict):
            fail(422, "Invalid JSON", details=[{"path": "/", "errors": ["error.expected.jsobject"]}])
        d = self._validated(raw, None)
        app_id = d["id"]
        if app_id in self.apps:
            fail(409, "An app with id [%s] already exists." % app_id)
        self._cancel(self._check_locks(app_id, force))
        self._assign_service_ports(d, app_id)
        version = self._new_version()
        dep_id = self._store(app_id, d, "create", version, None)
        info = self._app_info(self.apps[app_id], deployments=[{"id": dep_id}])
        for k in ("tasksStaged", "tasksRunning", "tasksHealthy", "tasksUnhealthy"):
            info[k] = 0
        return Resp(201, info, [("Location", self._location(host_header, app_id)),
                                ("Marathon-Deployment-Id", dep_id)])

    def update_app(self, url_id, raw, force, partial, host_header, patch=False):
        app_id = canonical_id(url_id)
        if not isinstance(raw, dict):
            fail(422, "Invalid JSON", details=[{"path": "/", "errors": ["error.expected.jsobject"]}])
        existing = self.apps.get(app_id)
        if existing is None and patch:
            fail(404, "App '%s' does not exist" % app_id)
        if raw.get("version") is not None:
            if version_with_other_fields(raw):
                fail(422, "Object is not valid", details=[{"path": "/", "errors": [MSG_VERSION_ONLY]}])
            want = raw["version"]
            if existing is None:
                fail(404, "App '%s' does not exist" % app_id)
            old = [dd for v, dd in self.versions.get(app_id, []) if v == want]
            if not old:
                fail(404, "App '%s' does not exist in version %s" % (app_id, want))
            d = strip_runtime(copy.deepcopy(old[-1]))
        else:
            if partial and existing is not None:
                merged = strip_runtime(copy.deepcopy(existing["def"]))
                self._merge_update(merged, raw)
            else:
                merged = dict(raw)
            d = self._validated(merged, app_id, is_update=True)
        prev = existing["def"] if existing else None
        if prev is not None:
            inherit_service_ports(d, prev)
        self._assign_service_ports(d, app_id)
        kind = classify_change(prev, d)
        self._cancel(self._check_locks(app_id, force))
        version = self._new_version()
        before = copy.deepcopy(prev) if prev else None
        dep_id = self._store(app_id, d, kind, version, before, prev["versionInfo"] if prev else None)
        headers = [("Marathon-Deployment-Id", dep_id)]
        status = 200
        if existing is None:
            status = 201
            headers.insert(0, ("Location", self._location(host_header, app_id)))
        return Resp(status, {"deploymentId": dep_id, "version": version}, headers)

    @staticmethod
    def _merge_update(merged, raw):
        """partialUpdate=true: top-level fields given replace the stored ones."""
        body = {k: v for k, v in raw.items() if k not in RUNTIME_FIELDS and k != "id"}
        if ("networks" in body or "container" in body) and "portDefinitions" not in body and "ports" not in body:
            modes = _network_mode_of(dict(merged, **body))
            if any(m != "host" for m in modes):
                merged.pop("portDefinitions", None)
        if "networks" in body and "container" not in body and isinstance(merged.get("container"), dict):
            modes = _network_mode_of(dict(merged, **body))
            if "host" in modes:
                merged["container"] = dict(merged["container"])
                merged["container"].pop("portMappings", None)
        if "ports" in body:
            merged.pop("portDefinitions", None)
        # note: giving only "cmd" to an app that has "args" keeps both, which then fails
        # validation with 422 -- as in Marathon
        for k, v in body.items():
            if v is None:
                merged.pop(k, None)
            else:
                merged[k] = v

    def delete_app(self, url_id, force):
        app_id = canonical_id(url_id)
        app = self.apps.get(app_id)
        if app is None:
            fail(404, "App '%s' does not exist" % app_id)
        self._cancel(self._check_locks(app_id, force))
        version = self._new_version()
        before = copy.deepcopy(app["def"])
        del self.apps[app_id]
        self.versions.pop(app_id, None)
        dep_id = self._start_deployment(app_id, "delete", version, before)
        return Resp(200, {"deploymentId": dep_id, "version": version}, [("Marathon-Deployment-Id", dep_id)])

    def restart_app(self, url_id, force):
        app_id = canonical_id(url_id)
        app = self.apps.get(app_id)
        if app is None:
            fail(404, "App '%s' does not exist" % app_id)
        self._cancel(self._check_locks(app_id, force))
        before = copy.deepcopy(app["def"])
        d = strip_runtime(copy.deepcopy(app["def"]))
        version = self._new_version()
        dep_id = self._store(app_id, d, "restart", version, before, before["versionInfo"])
        return Resp(200, {"deploymentId": dep_id, "version": version}, [("Marathon-Deployment-Id", dep_id)])

    def cancel_deployment(self, dep_id, force):
        dep = self.deployments.get(dep_id)
        if dep is None:
            fail(404, "DeploymentPlan %s does not exist" % dep_id)
        del self.deployments[dep_id]
        if force:
            return Resp(202, None, ctype=None)
        # rollback: a new deployment that returns the app to its state before `dep`
        app_id = dep["app"]
        cur = self.apps.get(app_id)
        before = dep["before"]
        self._cancel(self._deps_for(app_id))
        if before is None:
            if cur is None:
                version = self._new_version()
                return self._dep_result(self._start_deployment(app_id, "none", version, None), version)
            version = self._new_version()
            snapshot = copy.deepcopy(cur["def"])
            del self.apps[app_id]
            self.versions.pop(app_id, None)
            return self._dep_result(self._start_deployment(app_id, "delete", version, snapshot), version)
        d = strip_runtime(copy.deepcopy(before))
        prev = cur["def"] if cur else None
        kind = classify_change(prev, d)
        version = self._new_version()
        self._assign_service_ports(d, app_id)
        vi = prev["versionInfo"] if prev else None
        dep_new = self._store(app_id, d, kind, version, copy.deepcopy(prev) if prev else None, vi)
        return self._dep_result(dep_new, version)

    @staticmethod
    def _dep_result(dep_id, version):
        return Resp(200, {"deploymentId": dep_id, "version": version}, [("Marathon-Deployment-Id", dep_id)])

    def kill_tasks(self, url_id, task_id, query):
        app_id = canonical_id(url_id)
        app = self.apps.get(app_id)
        if app is None:
            fail(404, "App '%s' does not exist" % app_id)
        scale = parse_bool(query.get("scale"), False)
        host = query.get("host")
        if task_id is not None:
            victims = [t for t in app["tasks"] if t["id"] == task_id]
            if not victims:
                fail(404, "Task '%s' does not exist" % task_id)
        else:
            victims = [t for t in app["tasks"] if not host or t["host"] == host]
        app["tasks"] = [t for t in app["tasks"] if t not in victims]
        if scale:
            d = strip_runtime(copy.deepcopy(app["def"]))
            d["instances"] = max(0, d["instances"] - len(victims))
            self._cancel(self._check_locks(app_id, True))
            version = self._new_version()
            before = copy.deepcopy(app["def"])
            dep_id = self._store(app_id, d, "scale", version, before, before["versionInfo"])
            # the killed tasks are gone already: nothing left to launch beyond the new count
            return self._dep_result(dep_id, version)
        # Marathon replaces killed tasks to keep `instances` running
        for _ in victims:
            app["tasks"].append(self._make_task(app["def"], "TASK_RUNNING", True))
        if task_id is not None:
            return Resp(200, {"task": victims[0]})
        return Resp(200, {"tasks": victims})

    # ---- seeding (control API) -------------------------------------------------

    def seed_app(self, raw):
        d = self._validated(raw, None)
        app_id = d["id"]
        self._assign_service_ports(d, app_id)
        version = self._new_version()
        d["version"] = version
        d["versionInfo"] = {"lastScalingAt": version, "lastConfigChangeAt": version}
        self.apps[app_id] = {"def": d, "tasks": [self._make_task(d, "TASK_RUNNING", True)
                                                 for _ in range(d["instances"])]}
        self.versions.setdefault(app_id, []).append((version, copy.deepcopy(d)))
        return self._app_info(self.apps[app_id], tasks=True)

    # ---- HTTP routing of the Marathon API ---------------------------------------

    def handle(self, method, mpath, query, headers, body, host_header):
        with self.lock:
            self._advance()
            return self._route(method, mpath, query, headers, body, host_header)

    def _body_json(self, headers, body):
        ctype = headers.get("content-type")
        if ctype is not None and ctype.split(";")[0].strip().lower() != "application/json":
            fail(415, "Unsupported Media Type")
        return parse_json_body(body)

    def _route(self, method, mpath, query, headers, body, host_header):
        q1 = {k: v[-1] for k, v in query.items()}
        if mpath == "/ping":
            if method not in ("GET", "HEAD"):
                fail(405, "Method Not Allowed")
            accept = (headers.get("accept") or "*/*").lower()
            if "text/plain" in accept or "*/*" in accept or "text/*" in accept:
                return Resp(200, "pong\n", ctype="text/plain; charset=utf-8")
            if "application/json" in accept:
                return Resp(200, b'"pong"')
            return Resp(204, None, ctype=None)
        if mpath == "/v2/info":
            if method != "GET":
                fail(405, "Method Not Allowed")
            return Resp(200, self._info())
        if mpath == "/v2/leader":
            if method != "GET":
                fail(405, "Method Not Allowed")
            if not self.config["leader"]:
                fail(404, "There is no leader")
            return Resp(200, {"leader": self.leader()})
        if mpath in ("/v2/apps", "/v2/apps/"):
            if method == "GET":
                return self._list_apps(query, q1)
            if method == "POST":
                return self.create_app(self._body_json(headers, body), parse_bool(q1.get("force"), False),
                                       host_header)
            fail(405, "Method Not Allowed")
        if mpath.startswith("/v2/apps/"):
            return self._route_app(method, unquote(mpath[len("/v2/apps/"):]), query, q1, headers, body,
                                   host_header)
        if mpath in ("/v2/deployments", "/v2/deployments/"):
            if method != "GET":
                fail(405, "Method Not Allowed")
            now = time.monotonic()
            return Resp(200, [self._dep_info(d, now) for d in self.deployments.values()])
        if mpath.startswith("/v2/deployments/"):
            if method != "DELETE":
                fail(405, "Method Not Allowed")
            return self.cancel_deployment(unquote(mpath[len("/v2/deployments/"):]),
                                          parse_bool(q1.get("force"), False))
        if mpath in ("/v2/tasks", "/v2/tasks/"):
            if method != "GET":
                fail(405, "Method Not Allowed")
            wanted = [s.lower() for s in query.get("status", [])]
            tasks = []
            for a in self.apps.values():
                for t in a["tasks"]:
                    st = t["state"][len("TASK_"):].lower()
                    if not wanted or st in wanted:
                        tasks.append(t)
            return Resp(200, {"tasks": tasks})
        fail(404, "URI not found")

    def _route_app(self, method, rest, query, q1, headers, body, host_header):
        force_default = method == "DELETE"
        force = parse_bool(q1.get("force"), force_default)
        if method == "GET":
            m = re.fullmatch(r"((?:.+/)|)\*", rest)
            if m:
                gid = canonical_id(m.group(1))
                pre = gid.rstrip("/") + "/"
                apps = [self._app_info(a, tasks=True) for aid, a in sorted(self.apps.items())
                        if aid.startswith(pre)]
                return Resp(200, {"*": apps})
            m = re.fullmatch(r"(.+)/tasks", rest)
            if m:
                app = self.apps.get(canonical_id(m.group(1)))
                if app is None:
                    fail(404, "App '%s' does not exist" % canonical_id(m.group(1)))
                return Resp(200, {"tasks": list(app["tasks"])})
            m = re.fullmatch(r"(.+)/versions", rest)
            if m:
                aid = canonical_id(m.group(1))
                if aid not in self.apps:
                    fail(404, "App '%s' does not exist" % aid)
                return Resp(200, {"versions": [v for v, _ in reversed(self.versions.get(aid, []))]})
            m = re.fullmatch(r"(.+)/versions/([^/]+)", rest)
            if m:
                aid = canonical_id(m.group(1))
                found = [dd for v, dd in self.versions.get(aid, []) if v == m.group(2)]
                if aid not in self.apps or not found:
                    fail(404, "App '%s' does not exist in version %s" % (aid, m.group(2)))
                return Resp(200, found[-1])
            app = self.apps.get(canonical_id(rest))
            if app is None:
                fail(404, "App '%s' does not exist" % canonical_id(rest))
            embeds = query.get("embed", [])
            return Resp(200, {"app": self._app_info(app, tasks=True, readiness="app.readiness" in embeds)})
        if method == "POST":
            m = re.fullmatch(r"(.+)/restart", rest)
            if m:
                return self.restart_app(m.group(1), force)
            fail(405, "Method Not Allowed")
        if method == "PUT":
            return self.update_app(rest, self._body_json(headers, body), force,
                                   parse_bool(q1.get("partialUpdate"), True), host_header)
        if method == "PATCH":
            return self.update_app(rest, self._body_json(headers, body), force, True, host_header, patch=True)
        if method == "DELETE":
            m = re.fullmatch(r"(.+)/tasks/([^/]+)", rest)
            if m:
                return self.kill_tasks(m.group(1), m.group(2), q1)
            m = re.fullmatch(r"(.+)/tasks", rest)
            if m:
                return self.kill_tasks(m.group(1), None, q1)
            return self.delete_app(rest, force)
        fail(405, "Method Not Allowed")

    def _list_apps(self, query, q1):
        embeds = query.get("embed", [])
        with_tasks = "apps.tasks" in embeds
        readiness = "apps.readiness" in embeds
        selectors = None
        if q1.get("label"):
            try:
                selectors = parse_label_selector(q1["label"])
            except ValueError as e:
                fail(400, "Invalid label selector query: %s" % e)
        idf = (q1.get("id") or "").lower()
        cmdf = (q1.get("cmd") or "").lower()
        out = []
        for aid in sorted(self.apps):
            a = self.apps[aid]
            d = a["def"]
            if idf and idf not in aid.lower():
                continue
            if cmdf and cmdf not in (d.get("cmd") or "").lower():
                continue
            if selectors is not None and not label_match(selectors, d.get("labels") or {}):
                continue
            out.append(self._app_info(a, tasks=with_tasks, readiness=readiness))
        return Resp(200, {"apps": out})

    def _info(self):
        return {
            "name": "marathon", "version": self.config["marathon_version"],
            "buildref": "emulated", "elected": True, "leader": self.leader(),
            "frameworkId": self.framework_id,
            "marathon_config": {
                "master": "zk://127.0.0.1:2181/mesos", "failover_timeout": 604800, "framework_name": "marathon",
                "ha": True, "checkpoint": True, "local_port_min": 10000, "local_port_max": 20000,
                "executor": "//cmd", "hostname": self.host, "webui_url": None, "mesos_role": None,
                "task_launch_timeout": 300000, "task_reservation_timeout": 20000,
                "reconciliation_initial_delay": 15000, "reconciliation_interval": 600000,
                "mesos_user": "root", "leader_proxy_connection_timeout_ms": 5000,
                "leader_proxy_read_timeout_ms": 10000, "features": [],
                "mesos_leader_ui_url": "http://127.0.0.1:5050/", "mesos_heartbeat_interval": 15000,
                "mesos_heartbeat_failure_threshold": 5, "access_control_allow_origin": None,
                "decline_offer_duration": 120000, "default_network_name": None,
                "max_running_deployments": self.config["max_running_deployments"],
            },
            "zookeeper_config": {
                "zk": "zk://127.0.0.1:2181/marathon", "zk_compression": True,
                "zk_compression_threshold": 65536, "zk_connection_timeout": 10000,
                "zk_max_node_size": 1024000, "zk_max_versions": 50, "zk_session_timeout": 10000,
                "zk_timeout": 10000,
            },
            "event_subscriber": None,
            "http_config": {"http_port": self.port, "https_port": 8443},
        }

    # ---- control API ------------------------------------------------------------

    def state_view(self):
        with self.lock:
            self._advance()
            now = time.monotonic()
            return {
                "apps": {aid: self._app_info(a, tasks=True) for aid, a in sorted(self.apps.items())},
                "deployments": [self._dep_info(d, now) for d in self.deployments.values()],
                "versions": {aid: [v for v, _ in vs] for aid, vs in self.versions.items()},
                "faults": [dict(r) for r in self.faults],
                "config": self.config_view(),
                "requests": self.seq,
                "refusing": bool(self.ctl and self.ctl.refusing),
            }

    def complete_deployments(self, dep_id=None):
        with self.lock:
            if dep_id is None:
                deps = list(self.deployments.values())
            else:
                dep = self.deployments.get(dep_id)
                if dep is None:
                    fail(404, "DeploymentPlan %s does not exist" % dep_id)
                deps = [dep]
            for dep in deps:
                self._finish(dep)
            return [d["id"] for d in deps]


# --------------------------------------------------------------------------
# HTTP server plumbing
# --------------------------------------------------------------------------

class EmuServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 128

    def server_bind(self):
        # skip HTTPServer.server_bind's getfqdn() (a DNS lookup)
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = host
        self.server_port = port

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, socket.timeout, OSError, ValueError)):
            return
        ThreadingHTTPServer.handle_error(self, request, client_address)


class EmuServer6(EmuServer):
    address_family = socket.AF_INET6


class ServerControl(object):
    """Owns the listening socket; can stop listening for a while (refuse fault)."""

    def __init__(self, emu, host, port):
        self.emu = emu
        emu.ctl = self
        self.host = host
        self.port = port
        self.lock = threading.Lock()
        self.server = None
        self.conns = {}
        self.conn_seq = 0
        self.refusing = False
        self.stop_event = threading.Event()
        self.relisten_event = threading.Event()  # SIGUSR1: end a refusal now

    def start(self):
        cls = EmuServer6 if ":" in self.host else EmuServer
        srv = cls((self.host, self.port), Handler)
        srv.emu = self.emu
        srv.ctl = self
        self.port = srv.server_address[1]
        self.emu.port = self.port
        with self.lock:
            self.server = srv
            self.refusing = False
        t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        t.start()

    def track(self, sock):
        with self.lock:
            self.conn_seq += 1
            self.conns[sock] = self.conn_seq
            return self.conn_seq

    def untrack(self, sock):
        with self.lock:
            self.conns.pop(sock, None)

    def _close_conns(self, exclude=None):
        with self.lock:
            socks = [s for s in self.conns if s is not exclude]
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def refuse(self, seconds, exclude=None):
        with self.lock:
            if self.server is None or self.stop_event.is_set():
                return False
            srv = self.server
            self.server = None
            self.refusing = True
        srv.shutdown()
        srv.server_close()
        self._close_conns(exclude)
        self.relisten_event.clear()
        threading.Thread(target=self._relisten, args=(seconds,), daemon=True).start()
        return True

    def _relisten(self, seconds):
        end = time.monotonic() + seconds
        while not self.stop_event.is_set() and not self.relisten_event.is_set():
            left = end - time.monotonic()
            if left <= 0:
                break
            self.relisten_event.wait(min(left, 0.05))
        if self.stop_event.is_set():
            return
        deadline = time.monotonic() + 10
        while not self.stop_event.is_set():
            try:
                self.start()
                break
            except OSError as e:
                if time.monotonic() > deadline:
                    sys.stderr.write("marathon_emulator: cannot listen again: %s\n" % e)
                    return
                time.sleep(0.05)
        self.emu.after_relisten()

    def stop(self):
        self.stop_event.set()
        with self.lock:
            srv = self.server
            self.server = None
        if srv is not None:
            srv.shutdown()
            srv.server_close()
        self._close_conns()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "marathon-emulator/1.0"
    sys_version = ""
    timeout = 300

    def setup(self):
        BaseHTTPRequestHandler.setup(self)
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        self.conn_id = self.server.ctl.track(self.connection)

    def finish(self):
        try:
            BaseHTTPRequestHandler.finish(self)
        finally:
            self.server.ctl.untrack(self.connection)

    def log_message(self, fmt, *args):
        pass

    # ---- low level I/O ------------------------------------------------------

    def _read_body(self):
        te = self.headers.get("Transfer-Encoding")
        if te and "chunked" in te.lower():
            chunks = []
            while True:
                line = self.rfile.readline(65537)
                if not line:
                    raise ValueError("truncated chunked body")
                size = int(line.split(b";", 1)[0].strip(), 16)
                if size == 0:
                    while True:
                        trailer = self.rfile.readline(65537)
                        if trailer in (b"\r\n", b"\n", b""):
                            break
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
            return b"".join(chunks)
        cl = self.headers.get("Content-Length")
        if cl:
            n = int(cl)
            if n < 0:
                raise ValueError("negative Content-Length")
            return self.rfile.read(n) if n else b""
        return b""

    def _write(self, resp, marathon=True):
        st = resp.status
        try:
            reason = HTTPStatus(st).phrase
        except ValueError:
            reason = "Unknown"
        lines = ["%s %d %s\r\n" % (self.protocol_version, st, reason),
                 "Date: %s\r\n" % self.date_time_string(),
                 "Server: %s\r\n" % self.server_version]
        if resp.ctype and st not in (204, 304):
            lines.append("Content-Type: %s\r\n" % resp.ctype)
        for k, v in resp.headers:
            lines.append("%s: %s\r\n" % (k, v))
        if marathon:
            lines.append("X-Marathon-Leader: http://%s\r\n" % self.server.emu.leader())
            lines.append("Cache-Control: no-cache, no-store, must-revalidate\r\n")
            lines.append("Pragma: no-cache\r\nExpires: 0\r\n")
        body = resp.body
        if st in (204, 304) or 100 <= st < 200:
            body = b""
        else:
            lines.append("Content-Length: %d\r\n" % len(body))
        if self.close_connection:
            lines.append("Connection: close\r\n")
        elif self.request_version == "HTTP/1.0":
            lines.append("Connection: keep-alive\r\n")
        lines.append("\r\n")
        data = "".join(lines).encode("latin-1", "replace")
        if self.command != "HEAD":
            data += body
        self.wfile.write(data)

    def _hard_close(self, reset):
        self.close_connection = True
        try:
            if reset:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.rfile.close()
                self.wfile.close()
                self.connection.close()
        except OSError:
            pass

    # ---- dispatch -----------------------------------------------------------------

    def _handle(self):
        url = urlsplit(self.path)
        if url.path == "/_emulator" or url.path.startswith("/_emulator/"):
            return self._control(url)
        return self._marathon(url)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

    def _marathon(self, url):
        emu = self.server.emu
        t0 = time.time()
        try:
            body = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            self._write(Resp(400, {"message": "Bad Request"}))
            return
        method = self.command
        prefix = emu.prefix
        raw_path = url.path
        under_prefix = True
        mpath = raw_path
        if prefix:
            if raw_path == prefix or raw_path.startswith(prefix + "/"):
                mpath = raw_path[len(prefix):] or "/"
            else:
                under_prefix = False
        query = parse_qs(url.query, keep_blank_values=True)
        hdrs = {}
        for k, v in self.headers.items():
            hdrs[canon_header(k)] = v
        parsed_body = None
        body_json = False
        if body:
            try:
                parsed_body = json.loads(body.decode("utf-8"))
                body_json = True
            except (ValueError, UnicodeDecodeError):
                parsed_body = body.decode("utf-8", "replace")
        entry = {"seq": 0, "time": iso_ms(int(t0 * 1000)), "ts": t0, "method": method, "path": mpath,
                 "raw_path": raw_path, "under_prefix": under_prefix,
                 "query": {k: v[-1] for k, v in query.items()}, "query_all": query,
                 "query_string": url.query, "headers": hdrs, "body": parsed_body, "body_json": body_json,
                 "conn": self.conn_id, "status": None, "fault": None, "deployment_id": None,
                 "duration_ms": None}
        emu.log_start(entry)

        rule, refuse_secs = emu.take_fault(method, mpath, body)
        fault_desc = []
        if rule and rule.get("latency_ms"):
            fault_desc.append("latency_ms=%s" % rule["latency_ms"])
            time.sleep(float(rule["latency_ms"]) / 1000.0)
        if rule and rule.get("hold"):
            fault_desc.append("hold")
            emu.hold()
        terminal = rule is not None and any(rule.get(k) for k in ("status", "drop", "reset", "garbage"))
        resp = None
        if not terminal or rule.get("process"):
            resp = self._marathon_response(emu, method, mpath, under_prefix, query, body, raw_path)
            if terminal:
                fault_desc.append("processed")
                if resp.header("Marathon-Deployment-Id"):
                    entry["deployment_id"] = resp.header("Marathon-Deployment-Id")
        if refuse_secs is not None:
            # the next rule is a refuse rule: stop listening before answering this request
            fault_desc.append("refuse_after=%ss" % refuse_secs)
            self.close_connection = True
            self.server.ctl.refuse(refuse_secs, exclude=self.connection)
        if terminal and (rule.get("drop") or rule.get("reset")):
            fault_desc.insert(0, "reset" if rule.get("reset") else "drop")
            entry["fault"] = ",".join(fault_desc)
            entry["status"] = None
            entry["duration_ms"] = round((time.time() - t0) * 1000, 3)
            emu.log_finish(entry)
            self._hard_close(bool(rule.get("reset")))
            return
        if terminal:
            resp = self._fault_response(rule)
            fault_desc.insert(0, "garbage" if rule.get("garbage") else "status=%d" % resp.status)
        elif resp is not None and resp.header("Marathon-Deployment-Id"):
            entry["deployment_id"] = resp.header("Marathon-Deployment-Id")
        if rule is not None and any(rule.get(k) is not None for k in MANGLE_KEYS):
            resp = mangle_response(resp, rule)
            fault_desc.extend(k for k in MANGLE_KEYS if rule.get(k) is not None and
                              not (k == "headers" and terminal))
        entry["fault"] = ",".join(fault_desc) or None
        entry["status"] = resp.status
        entry["duration_ms"] = round((time.time() - t0) * 1000, 3)
        emu.log_finish(entry)
        self._write(resp, marathon=resp.status != 401)

    def _marathon_response(self, emu, method, mpath, under_prefix, query, body, raw_path):
        if not under_prefix:
            return Resp(404, NOT_FOUND_HTML, ctype="text/html")
        auth = emu.config["auth"]
        if auth is not None and (mpath != "/ping" or emu.config["auth_ping"]):
            got = self.headers.get("Authorization") or ""
            if auth["mode"] == "basic":
                ok = False
                if got[:6].lower() == "basic ":
                    try:
                        ok = base64.b64decode(got[6:].strip(), validate=True).decode("utf-8") == \
                            "%s:%s" % (auth["user"], auth["password"])
                    except (ValueError, UnicodeDecodeError):
                        ok = False
                if not ok:
                    return Resp(401, JETTY_401_BODY.format(path=raw_path),
                                [("WWW-Authenticate", 'basic realm="Mesosphere"')],
                                ctype="text/html;charset=iso-8859-1")
            else:
                if got.strip() != "token=" + auth["token"]:
                    return Resp(401, ADMINROUTER_401_BODY, [("WWW-Authenticate", "acsjwt")], ctype="text/html")
        hdrs = {k.lower(): v for k, v in self.headers.items()}
        try:
            return emu.handle(method, mpath, query, hdrs, body, self.headers.get("Host"))
        except ApiError as e:
            return e.resp
        except Exception as e:  # an emulator bug must still answer like a server would
            import traceback
            traceback.print_exc()
            return Resp(500, {"message": "emulator error: %s" % e})

    @staticmethod
    def _fault_response(rule):
        status = rule.get("status") or 200
        headers = [(str(k), str(v)) for k, v in (rule.get("headers") or {}).items()]
        ctype = rule.get("content_type")
        if rule.get("body_bytes") is not None:
            # characters U+0000..U+00FF sent as those bytes: invalid UTF-8, NUL bytes
            return Resp(status, rule["body_bytes"].encode("latin-1"), headers, ctype=ctype or "application/json")
        if rule.get("garbage"):
            body = rule.get("body")
            if body is None:
                body = '{"apps":[{"id":"/garbage","instances":1,<<<this is not JSON>>>'
            elif not isinstance(body, str):
                body = json.dumps(body)
            return Resp(status, body, headers, ctype=ctype or "application/json")
        body = rule.get("body")
        if body is None:
            try:
                phrase = HTTPStatus(status).phrase
            except ValueError:
                phrase = "Error"
            return Resp(status, {"message": phrase}, headers, ctype=ctype or "application/json")
        if isinstance(body, str):
            return Resp(status, body, headers, ctype=ctype or "text/plain; charset=utf-8")
        return Resp(status, body, headers, ctype=ctype or "application/json")

    # ---- control API ------------------------------------------------------------------

    def _control(self, url):
        emu = self.server.emu
        try:
            raw = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            self._write(Resp(400, {"error": "bad request body"}), marathon=False)
            return
        method = self.command
        path = url.path.rstrip("/")
        query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        try:
            body = json.loads(raw.decode("utf-8")) if raw.strip() else None
        except (ValueError, UnicodeDecodeError) as e:
            self._write(Resp(400, {"error": "invalid JSON: %s" % e}), marathon=False)
            return
        refuse_secs = None
        try:
            resp, refuse_secs = self._control_route(emu, method, path, query, body)
        except ValueError as e:
            resp = Resp(400, {"error": str(e)})
        except ApiError as e:
            resp = e.resp
        if refuse_secs is not None:
            self.close_connection = True
            self.server.ctl.refuse(refuse_secs, exclude=self.connection)
        self._write(resp, marathon=False)

    def _control_route(self, emu, method, path, query, body):
        if path == "/_emulator/faults":
            if method == "GET":
                return Resp(200, {"faults": emu.list_faults()}), None
            if method == "DELETE":
                emu.clear_faults()
                return Resp(200, {"faults": []}), None
            if method == "POST":
                if isinstance(body, dict) and ("rules" in body or "faults" in body):
                    rules = body.get("rules", body.get("faults"))
                elif isinstance(body, dict):
                    rules = [body]
                else:
                    rules = body
                if not isinstance(rules, list):
                    raise ValueError("expected a list of fault rules")
                secs = emu.add_faults(rules)
                return Resp(200, {"faults": emu.list_faults(), "refusing_seconds": secs}), secs
        elif path == "/_emulator/requests":
            if method == "GET":
                since = int(query.get("since") or 0)
                reqs = emu.get_log(since, query.get("method"), query.get("path"))
                return Resp(200, {"requests": reqs, "count": len(reqs)}), None
            if method == "DELETE":
                with emu.lock:
                    emu.log = []
                return Resp(200, {"requests": [], "count": 0}), None
        elif path == "/_emulator/config":
            if method == "GET":
                return Resp(200, emu.config_view()), None
            if method in ("POST", "PUT", "PATCH"):
                return Resp(200, emu.set_config(body or {})), None
        elif path == "/_emulator/release":
            if method == "POST":
                return Resp(200, {"released": emu.release()}), None
        elif path == "/_emulator/reset":
            if method == "POST":
                emu.reset(keep_config=bool(isinstance(body, dict) and body.get("keep_config")))
                return Resp(200, {"reset": True, "config": emu.config_view()}), None
        elif path == "/_emulator/state":
            if method == "GET":
                return Resp(200, emu.state_view()), None
        elif path == "/_emulator/deployments/complete":
            if method == "POST":
                return Resp(200, {"completed": emu.complete_deployments()}), None
        elif path.startswith("/_emulator/deployments/") and path.endswith("/complete"):
            if method == "POST":
                dep_id = path[len("/_emulator/deployments/"):-len("/complete")]
                return Resp(200, {"completed": emu.complete_deployments(dep_id)}), None
        elif path == "/_emulator/apps":
            if method == "POST":
                items = body if isinstance(body, list) else [body]
                out = []
                with emu.lock:
                    for item in items:
                        if not isinstance(item, dict):
                            raise ValueError("app definitions must be JSON objects")
                        out.append(emu.seed_app(item))
                return Resp(201, {"apps": out}), None
        elif path.startswith("/_emulator/apps/"):
            if method == "DELETE":
                aid = canonical_id(unquote(path[len("/_emulator/apps"):]))
                with emu.lock:
                    gone = emu.apps.pop(aid, None)
                    emu.versions.pop(aid, None)
                if gone is None:
                    return Resp(404, {"error": "no app %s" % aid}), None
                return Resp(200, {"deleted": aid}), None
        else:
            return Resp(404, {"error": "unknown control endpoint %s" % path}), None
        return Resp(405, {"error": "method %s not allowed on %s" % (method, path)}), None


# --------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------

def write_port_file(path, port):
    d = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(d, ".%s.tmp.%d" % (os.path.basename(path), os.getpid()))
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def normalise_prefix(p):
    if not p:
        return ""
    p = "/" + p.strip("/")
    return "" if p == "/" else p


def main(argv=None):
    ap = argparse.ArgumentParser(description="Marathon 1.x REST API emulator for tests (loopback only)")
    ap.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    ap.add_argument("--port", type=int, default=0, help="TCP port, 0 = pick a free one (default 0)")
    ap.add_argument("--port-file", help="write the chosen port to this file (atomically)")
    ap.add_argument("--prefix", default="", help="serve the Marathon API under this path prefix, e.g. /service/marathon")
    ap.add_argument("--auth", default=None, help="basic:USER:PASS or token:TOKEN")
    ap.add_argument("--auth-ping", action="store_true",
                    help="also require auth on /ping (plain Marathon with basic auth does)")
    ap.add_argument("--deploy-seconds", type=float, default=0.2, help="how long each deployment runs (default 0.2)")
    ap.add_argument("--max-running-deployments", type=int, default=100, help="403 beyond this (default 100)")
    ap.add_argument("--marathon-version", default=DEFAULT_MARATHON_VERSION, help="version reported by /v2/info")
    ap.add_argument("--task-host", default="127.0.0.1", help="host name reported for tasks")
    ap.add_argument("--log-file", help="append one JSON line per Marathon API request")
    ap.add_argument("--max-log", type=int, default=200000, help="max requests kept in memory")
    args = ap.parse_args(argv)

    if args.host not in ("127.0.0.1", "localhost", "::1") and not args.host.startswith("127."):
        ap.error("--host must be a loopback address")
    host = "127.0.0.1" if args.host == "localhost" else args.host
    try:
        auth = parse_auth(args.auth)
    except ValueError as e:
        ap.error(str(e))
    if args.deploy_seconds < 0:
        ap.error("--deploy-seconds must be >= 0")

    defaults = {"deploy_seconds": args.deploy_seconds, "stuck": False, "stuck_ids": [], "unhealthy": False,
                "max_running_deployments": args.max_running_deployments,
                "marathon_version": args.marathon_version, "auth": auth, "auth_ping": args.auth_ping,
                "task_host": args.task_host, "leader": True, "next_deployment_ids": []}
    emu = Emulator(defaults, prefix=normalise_prefix(args.prefix), log_file=args.log_file, max_log=args.max_log)
    emu.host = host
    ctl = ServerControl(emu, host, args.port)
    ctl.start()

    stop = ctl.stop_event

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    # the control API is down while refusing: SIGUSR1 ends a refusal early
    signal.signal(signal.SIGUSR1, lambda signum, frame: ctl.relisten_event.set())

    if args.port_file:
        write_port_file(args.port_file, ctl.port)
    shown = "[%s]" % host if ":" in host else host
    sys.stdout.write("listening on %s:%d\n" % (shown, ctl.port))
    sys.stdout.flush()

    while not stop.wait(0.5):
        pass
    ctl.stop()
    if emu.log_file is not None:
        emu.log_file.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
