#!/usr/bin/env python3
# Tests for marathon_emulator.py (stdlib unittest only).  Each test class starts
# the emulator as a subprocess on a free port and talks HTTP to it.
# Run: python3 test/marathon/test_marathon_emulator.py

import base64
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
EMULATOR = os.path.join(HERE, "marathon_emulator.py")


class Emu(object):
    """A running emulator subprocess plus small HTTP helpers."""

    def __init__(self, *extra):
        self.tmp = tempfile.mkdtemp(prefix="marathon-emu-test-")
        self.port_file = os.path.join(self.tmp, "port")
        self.log_file = os.path.join(self.tmp, "requests.jsonl")
        self.proc = subprocess.Popen(
            [sys.executable, EMULATOR, "--port", "0", "--port-file", self.port_file,
             "--log-file", self.log_file] + list(extra),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.time() + 10
        while not os.path.exists(self.port_file):
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("emulator did not start: %s" % self.proc.stderr.read().decode())
            time.sleep(0.02)
        with open(self.port_file) as f:
            self.port = int(f.read().strip())
        self.first_line = self.proc.stdout.readline().decode().strip()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self.proc.stderr.close()

    def request(self, method, path, body=None, headers=None, raw=None, timeout=10):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        hdrs = {"Accept": "application/json"}
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        hdrs.update(headers or {})
        try:
            conn.request(method, path, body=data, headers=hdrs)
            r = conn.getresponse()
            payload = r.read()
            return Reply(r.status, dict((k.lower(), v) for k, v in r.getheaders()), payload)
        finally:
            conn.close()

    def ctl(self, method, path, body=None):
        r = self.request(method, "/_emulator" + path, body)
        assert r.status in (200, 201), (r.status, r.text)
        return r.json()


class Reply(object):
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        self.text = body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.text)


def app_def(app_id="/automl/viz/sales", **over):
    d = {
        "id": app_id, "instances": 1, "cpus": 0.5, "mem": 512, "disk": 0,
        "container": {"type": "DOCKER", "docker": {"image": "registry.local/viz/dash:1.2.3"},
                      "portMappings": [{"containerPort": 8050, "hostPort": 0, "protocol": "tcp", "name": "http"}]},
        "networks": [{"mode": "container/bridge"}],
        "env": {"DATASET_ID": "42"},
        "labels": {"automl.managed": "true", "traefik.enable": "true", "traefik.portIndex": "0"},
        "healthChecks": [{"protocol": "MESOS_HTTP", "path": "/health", "portIndex": 0}],
    }
    d.update(over)
    return d


def wait_for(pred, timeout=5.0, step=0.05):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


class Base(unittest.TestCase):
    ARGS = ("--deploy-seconds", "0.3")

    @classmethod
    def setUpClass(cls):
        cls.emu = Emu(*cls.ARGS)

    @classmethod
    def tearDownClass(cls):
        cls.emu.stop()

    def setUp(self):
        self.emu.ctl("POST", "/reset")

    def create(self, d=None, expect=201):
        r = self.emu.request("POST", "/v2/apps", d or app_def())
        self.assertEqual(r.status, expect, r.text)
        return r

    def wait_deployed(self, dep_id, timeout=5):
        ok = wait_for(lambda: dep_id not in [d["id"] for d in self.emu.request("GET", "/v2/deployments").json()],
                      timeout)
        self.assertTrue(ok, "deployment %s did not finish" % dep_id)


class TestBasics(Base):
    def test_startup_line_and_port_file(self):
        self.assertEqual(self.emu.first_line, "listening on 127.0.0.1:%d" % self.emu.port)

    def test_ping_info_leader(self):
        r = self.emu.request("GET", "/ping", headers={"Accept": "*/*"})
        self.assertEqual(r.status, 200)
        self.assertEqual(r.text.strip(), "pong")
        self.assertTrue(r.headers["content-type"].startswith("text/plain"))
        self.assertEqual(r.headers["x-marathon-leader"], "http://127.0.0.1:%d" % self.emu.port)
        r = self.emu.request("GET", "/v2/info")
        self.assertEqual(r.status, 200)
        info = r.json()
        self.assertEqual(info["name"], "marathon")
        self.assertEqual(info["version"], "1.10.26")
        self.assertEqual(info["leader"], "127.0.0.1:%d" % self.emu.port)
        self.assertIn("frameworkId", info)
        self.assertEqual(info["marathon_config"]["local_port_min"], 10000)
        self.assertEqual(self.emu.request("GET", "/v2/leader").json()["leader"], "127.0.0.1:%d" % self.emu.port)

    def test_unknown_uri_and_method(self):
        r = self.emu.request("GET", "/v2/nothing")
        self.assertEqual(r.status, 404)
        self.assertEqual(r.json()["message"], "URI not found")
        r = self.emu.request("POST", "/v2/deployments", {})
        self.assertEqual(r.status, 405)

    def test_keep_alive_single_connection(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.emu.port, timeout=5)
        try:
            for _ in range(5):
                conn.request("GET", "/v2/apps")
                r = conn.getresponse()
                self.assertEqual(r.status, 200)
                self.assertEqual(json.loads(r.read()), {"apps": []})
                self.assertEqual(r.getheader("Content-Length"), "11")
        finally:
            conn.close()
        log = self.emu.ctl("GET", "/requests")["requests"]
        self.assertEqual(len(log), 5)
        self.assertEqual(len(set(e["conn"] for e in log)), 1, "keep-alive connection was not reused")


class TestAppsLifecycle(Base):
    def test_create_then_running(self):
        r = self.create()
        dep = r.headers["marathon-deployment-id"]
        self.assertEqual(r.headers["location"], "http://127.0.0.1:%d/automl/viz/sales" % self.emu.port)
        app = r.json()
        self.assertEqual(app["id"], "/automl/viz/sales")
        self.assertEqual(app["deployments"], [{"id": dep}])
        for k in ("tasksStaged", "tasksRunning", "tasksHealthy", "tasksUnhealthy"):
            self.assertEqual(app[k], 0)
        self.assertEqual(app["backoffFactor"], 1.15)
        self.assertEqual(app["executor"], "")
        self.assertEqual(app["upgradeStrategy"], {"maximumOverCapacity": 1, "minimumHealthCapacity": 1})
        pm = app["container"]["portMappings"][0]
        self.assertTrue(10000 <= pm["servicePort"] <= 20000)
        self.assertRegex(app["version"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertEqual(app["versionInfo"]["lastConfigChangeAt"], app["version"])
        # while deploying
        g = self.emu.request("GET", "/v2/apps/automl/viz/sales").json()["app"]
        self.assertEqual(g["deployments"], [{"id": dep}])
        self.assertEqual(g["tasksRunning"], 0)
        deps = self.emu.request("GET", "/v2/deployments").json()
        self.assertEqual(len(deps), 1)
        d = deps[0]
        self.assertEqual(d["id"], dep)
        self.assertEqual(d["version"], app["version"])
        self.assertEqual(d["affectedApps"], ["/automl/viz/sales"])
        self.assertEqual(d["totalSteps"], 2)
        self.assertEqual([s["actions"][0]["action"] for s in d["steps"]], ["StartApplication", "ScaleApplication"])
        self.assertIn(d["currentStep"], (1, 2))
        self.assertEqual(len(d["currentActions"]), 1)
        # after
        self.wait_deployed(dep)
        g = self.emu.request("GET", "/v2/apps/automl/viz/sales").json()["app"]
        self.assertEqual(g["deployments"], [])
        self.assertEqual(g["tasksRunning"], 1)
        self.assertEqual(g["tasksHealthy"], 1)
        self.assertEqual(g["version"], app["version"])
        self.assertEqual(len(g["tasks"]), 1)
        t = g["tasks"][0]
        self.assertEqual(t["state"], "TASK_RUNNING")
        self.assertTrue(t["id"].startswith("automl_viz_sales.instance-"))
        self.assertTrue(t["healthCheckResults"][0]["alive"])

    def test_no_health_checks_means_zero_healthy(self):
        r = self.create(app_def("/plain", healthChecks=[], instances=2))
        self.wait_deployed(r.headers["marathon-deployment-id"])
        g = self.emu.request("GET", "/v2/apps/plain").json()["app"]
        self.assertEqual((g["tasksRunning"], g["tasksHealthy"]), (2, 0))

    def test_relative_id_and_slashes(self):
        r = self.create(app_def("group/sub/app"))
        self.assertEqual(r.json()["id"], "/group/sub/app")
        self.assertEqual(self.emu.request("GET", "/v2/apps/group/sub/app").status, 200)
        self.assertEqual(self.emu.request("GET", "/v2/apps//group/sub/app/").status, 200)
        r = self.emu.request("GET", "/v2/apps/group/*")
        self.assertEqual([a["id"] for a in r.json()["*"]], ["/group/sub/app"])

    def test_duplicate_is_409_without_deployments(self):
        self.create()
        r = self.create(expect=409)
        self.assertEqual(r.json(), {"message": "An app with id [/automl/viz/sales] already exists."})

    def test_locked_and_force(self):
        dep1 = self.create().headers["marathon-deployment-id"]
        r = self.emu.request("PUT", "/v2/apps/automl/viz/sales", {"instances": 2})
        self.assertEqual(r.status, 409)
        body = r.json()
        self.assertTrue(body["message"].startswith("App is locked by one or more deployments."))
        self.assertEqual(body["deployments"], [{"id": dep1}])
        r = self.emu.request("PUT", "/v2/apps/automl/viz/sales?force=true", {"instances": 2})
        self.assertEqual(r.status, 200, r.text)
        dep2 = r.json()["deploymentId"]
        self.assertEqual(r.headers["marathon-deployment-id"], dep2)
        ids = [d["id"] for d in self.emu.request("GET", "/v2/deployments").json()]
        self.assertEqual(ids, [dep2])
        self.wait_deployed(dep2)
        g = self.emu.request("GET", "/v2/apps/automl/viz/sales").json()["app"]
        self.assertEqual((g["instances"], g["tasksRunning"]), (2, 2))

    def test_put_update_partial_and_create(self):
        dep = self.create().headers["marathon-deployment-id"]
        self.wait_deployed(dep)
        before = self.emu.request("GET", "/v2/apps/automl/viz/sales").json()["app"]
        r = self.emu.request("PUT", "/v2/apps/automl/viz/sales", {"labels": {"x": "y"}})
        self.assertEqual(r.status, 200, r.text)
        res = r.json()
        self.assertEqual(set(res), {"deploymentId", "version"})
        d = [x for x in self.emu.request("GET", "/v2/deployments").json() if x["id"] == res["deploymentId"]][0]
        self.assertEqual(d["steps"][0]["actions"][0]["action"], "RestartApplication")
        self.wait_deployed(res["deploymentId"])
        after = self.emu.request("GET", "/v2/apps/automl/viz/sales").json()["app"]
        self.assertEqual(after["labels"], {"x": "y"})                # labels object replaced
        self.assertEqual(after["mem"], 512)                          # rest kept
        self.assertEqual(after["version"], res["version"])
        self.assertEqual(after["container"]["portMappings"][0]["servicePort"],
                         before["container"]["portMappings"][0]["servicePort"])
        # scale-only change
        r = self.emu.request("PUT", "/v2/apps/automl/viz/sales", {"instances": 3})
        d = [x for x in self.emu.request("GET", "/v2/deployments").json() if x["id"] == r.json()["deploymentId"]][0]
        self.assertEqual(d["steps"][0]["actions"][0]["action"], "ScaleApplication")
        # PUT creates when absent: 201
        r = self.emu.request("PUT", "/v2/apps/new/one", app_def("/ignored/id"))
        self.assertEqual(r.status, 201, r.text)
        self.assertIn("deploymentId", r.json())
        self.assertEqual(self.emu.request("GET", "/v2/apps/new/one").json()["app"]["id"], "/new/one")

    def test_put_identical_is_no_op_deployment(self):
        dep = self.create().headers["marathon-deployment-id"]
        self.wait_deployed(dep)
        r = self.emu.request("PUT", "/v2/apps/automl/viz/sales?partialUpdate=false", app_def())
        self.assertEqual(r.status, 200, r.text)
        self.assertEqual(self.emu.request("GET", "/v2/deployments").json(), [])

    def test_put_with_version_and_fields_is_422(self):
        self.create()
        r = self.emu.request("PUT", "/v2/apps/automl/viz/sales?force=true",
                             {"version": "2020-01-01T00:00:00.000Z", "instances": 2})
        self.assertEqual(r.status, 422)
        self.assertEqual(r.json()["details"], [{"path": "/", "errors": [
            "The 'version' field may only be combined with the 'id' field."]}])

    def test_patch_missing_is_404(self):
        r = self.emu.request("PATCH", "/v2/apps/nope", {"instances": 1})
        self.assertEqual(r.status, 404)
        self.assertEqual(r.json(), {"message": "App '/nope' does not exist"})

    def test_delete(self):
        dep = self.create().headers["marathon-deployment-id"]
        self.wait_deployed(dep)
        r = self.emu.request("DELETE", "/v2/apps/automl/viz/sales")
        self.assertEqual(r.status, 200)
        res = r.json()
        self.assertEqual(r.headers["marathon-deployment-id"], res["deploymentId"])
        g = self.emu.request("GET", "/v2/apps/automl/viz/sales")
        self.assertEqual(g.status, 404)
        self.assertEqual(g.json(), {"message": "App '/automl/viz/sales' does not exist"})
        deps = self.emu.request("GET", "/v2/deployments").json()
        self.assertEqual([d["steps"][0]["actions"][0]["action"] for d in deps], ["StopApplication"])
        # re-create while the StopApplication deployment runs: locked
        r = self.create(expect=409)
        self.assertEqual(r.json()["deployments"], [{"id": res["deploymentId"]}])
        self.wait_deployed(res["deploymentId"])
        self.assertEqual(self.emu.request("DELETE", "/v2/apps/automl/viz/sales").status, 404)
        self.assertEqual(self.emu.ctl("GET", "/state")["apps"], {})

    def test_delete_default_force_true_and_explicit_false(self):
        self.create()
        r = self.emu.request("DELETE", "/v2/apps/automl/viz/sales?force=false")
        self.assertEqual(r.status, 409)
        r = self.emu.request("DELETE", "/v2/apps/automl/viz/sales")
        self.assertEqual(r.status, 200)

    def test_restart_and_versions(self):
        dep = self.create().headers["marathon-deployment-id"]
        self.wait_deployed(dep)
        v1 = self.emu.request("GET", "/v2/apps/automl/viz/sales").json()["app"]["version"]
        r = self.emu.request("POST", "/v2/apps/automl/viz/sales/restart")
        self.assertEqual(r.status, 200)
        self.assertNotEqual(r.json()["version"], v1)
        vs = self.emu.request("GET", "/v2/apps/automl/viz/sales/versions").json()["versions"]
        self.assertEqual(vs, [r.json()["version"], v1])
        self.assertEqual(self.emu.request("GET", "/v2/apps/automl/viz/sales/versions/" + v1).json()["version"], v1)
        self.assertEqual(self.emu.request("POST", "/v2/apps/missing/restart").status, 404)

    def test_list_filters(self):
        self.create(app_def("/automl/viz/a"))
        self.create(app_def("/automl/viz/b", labels={"automl.managed": "false"}))
        self.create(app_def("/other/c", labels={}))
        ids = lambda q: [a["id"] for a in self.emu.request("GET", "/v2/apps" + q).json()["apps"]]
        self.assertEqual(ids(""), ["/automl/viz/a", "/automl/viz/b", "/other/c"])
        self.assertEqual(ids("?id=/automl/viz/"), ["/automl/viz/a", "/automl/viz/b"])
        self.assertEqual(ids("?label=automl.managed==true"), ["/automl/viz/a"])
        self.assertEqual(ids("?label=automl.managed"), ["/automl/viz/a", "/automl/viz/b"])
        self.assertEqual(ids("?label=automl.managed%20in%20(true,false)&embed=apps.tasks"),
                         ["/automl/viz/a", "/automl/viz/b"])
        apps = self.emu.request("GET", "/v2/apps?embed=apps.tasks&embed=apps.deployments").json()["apps"]
        self.assertIn("tasks", apps[0])
        self.assertNotIn("tasks", self.emu.request("GET", "/v2/apps").json()["apps"][0])

    def test_tasks_endpoints(self):
        dep = self.create().headers["marathon-deployment-id"]
        self.wait_deployed(dep)
        tasks = self.emu.request("GET", "/v2/apps/automl/viz/sales/tasks").json()["tasks"]
        self.assertEqual(len(tasks), 1)
        self.assertEqual(len(self.emu.request("GET", "/v2/tasks").json()["tasks"]), 1)
        r = self.emu.request("DELETE", "/v2/apps/automl/viz/sales/tasks/" + tasks[0]["id"])
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json()["task"]["id"], tasks[0]["id"])


class TestValidation(Base):
    def post(self, d):
        return self.emu.request("POST", "/v2/apps", d)

    def assert_422(self, r, message, path, error=None):
        self.assertEqual(r.status, 422, r.text)
        body = r.json()
        self.assertEqual(body["message"], message)
        self.assertIsInstance(body["details"], list)
        paths = dict((d["path"], d["errors"]) for d in body["details"])
        self.assertIn(path, paths, body)
        if error is not None:
            self.assertIn(error, paths[path])

    def test_bad_ids(self):
        self.assert_422(self.post(app_def("/Automl/x")), "Invalid JSON", "/id", "error.pattern")
        self.assert_422(self.post(app_def("/automl/my_app")), "Invalid JSON", "/id", "error.pattern")
        self.assert_422(self.post(app_def("/automl/x/restart")), "Object is not valid", "/id",
                        "must not end with any of the following reserved keywords: restart, tasks, versions")
        self.assert_422(self.post(app_def("/a..b")), "Invalid JSON", "/id", "error.pattern")
        d = app_def()
        del d["id"]
        self.assert_422(self.post(d), "Invalid JSON", "/id", "error.path.missing")

    def test_resources(self):
        self.assert_422(self.post(app_def(cpus=0.0001)), "Invalid JSON", "/cpus", "error.min")
        self.assert_422(self.post(app_def(mem=-1)), "Invalid JSON", "/mem", "error.min")
        self.assert_422(self.post(app_def(instances=0.5)), "Invalid JSON", "/instances", "error.expected.int")
        self.assert_422(self.post(app_def(instances="1")), "Invalid JSON", "/instances", "error.expected.jsnumber")
        self.assertEqual(self.post(app_def(instances=1.0)).status, 201)

    def test_label_and_env_types(self):
        r = self.post(app_def(labels={"traefik.port": 8080}))
        self.assert_422(r, "Invalid JSON", "/labels/traefik.port", "error.expected.jsstring")
        self.assert_422(self.post(app_def(env={"N": 1})), "Invalid JSON", "/env/N", "error.expected.jsstring")
        self.assertEqual(self.post(app_def(env={"S": {"secret": "db"}})).status, 201)

    def test_cmd_args_container(self):
        msg = "AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'."
        self.assert_422(self.post({"id": "/a", "cmd": "x", "args": ["y"]}), "Object is not valid", "/", msg)
        self.assert_422(self.post({"id": "/a"}), "Object is not valid", "/", msg)
        self.assertEqual(self.post({"id": "/b", "cmd": "sleep 100"}).status, 201)
        self.assertEqual(self.post({"id": "/c", "args": ["sleep", "100"]}).status, 201)

    def test_networking_rules(self):
        d = app_def(networks=[{"mode": "host"}])
        self.assert_422(self.post(d), "Object is not valid", "/", "portMappings are not allowed with host-networking")
        d = app_def(portDefinitions=[{"port": 0}])
        self.assert_422(self.post(d), "Object is not valid", "/",
                        "portDefinitions are only allowed with host-networking")

    def test_health_check_port_index(self):
        d = app_def(healthChecks=[{"protocol": "MESOS_HTTP", "path": "/", "portIndex": 1}])
        self.assert_422(self.post(d), "Object is not valid", "/healthChecks(0)",
                        "Health check port indices must address an element of the ports array or "
                        "container port mappings.")

    def test_docker_image_and_upgrade_strategy(self):
        d = app_def()
        d["container"]["docker"]["image"] = ""
        self.assert_422(self.post(d), "Invalid JSON", "/container/docker/image", "error.minLength")
        d = app_def(upgradeStrategy={"minimumHealthCapacity": 1.5, "maximumOverCapacity": 1})
        self.assert_422(self.post(d), "Object is not valid", "/upgradeStrategy/minimumHealthCapacity",
                        "is greater than 1")

    def test_json_syntax_errors_are_400_with_string_details(self):
        r = self.emu.request("POST", "/v2/apps", raw=b'{"id": "/x",', headers={"Content-Type": "application/json"})
        self.assertEqual(r.status, 400)
        body = r.json()
        self.assertEqual(body["message"], "Invalid JSON")
        self.assertIsInstance(body["details"], str)
        self.assertIn("Unexpected end-of-input", body["details"])
        r = self.emu.request("POST", "/v2/apps", raw=b"", headers={"Content-Type": "application/json"})
        self.assertEqual(r.status, 400)
        self.assertEqual(r.json()["message"], "Please specify data in JSON format")
        r = self.emu.request("POST", "/v2/apps", raw=b"[1,2]", headers={"Content-Type": "application/json"})
        self.assertEqual(r.status, 422)

    def test_wrong_content_type_is_415(self):
        r = self.emu.request("POST", "/v2/apps", raw=json.dumps(app_def()).encode(),
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(r.status, 415)
        self.assertEqual(r.json(), {"message": "Unsupported Media Type"})


class TestDeploymentControl(Base):
    def test_stuck_rollback_and_force_cancel(self):
        self.emu.ctl("POST", "/config", {"stuck": True})
        r = self.create()
        dep = r.headers["marathon-deployment-id"]
        time.sleep(0.5)  # past deploy_seconds: still listed, tasks only staged
        self.assertEqual([d["id"] for d in self.emu.request("GET", "/v2/deployments").json()], [dep])
        g = self.emu.request("GET", "/v2/apps/automl/viz/sales").json()["app"]
        self.assertEqual((g["tasksRunning"], g["tasksStaged"]), (0, 1))
        # rollback of a create = delete the app (the rollback itself is stuck too)
        r = self.emu.request("DELETE", "/v2/deployments/" + dep)
        self.assertEqual(r.status, 200)
        rb = r.json()
        self.assertEqual(r.headers["marathon-deployment-id"], rb["deploymentId"])
        self.assertEqual(self.emu.request("GET", "/v2/apps/automl/viz/sales").status, 404)
        time.sleep(0.4)
        deps = self.emu.request("GET", "/v2/deployments").json()
        self.assertEqual([(d["id"], d["steps"][0]["actions"][0]["action"]) for d in deps],
                         [(rb["deploymentId"], "StopApplication")])
        self.emu.ctl("POST", "/config", {"stuck": False})   # releases it
        self.wait_deployed(rb["deploymentId"], timeout=1)
        # force cancel: 202, empty body
        self.emu.ctl("POST", "/config", {"stuck": True})
        dep = self.create().headers["marathon-deployment-id"]
        r = self.emu.request("DELETE", "/v2/deployments/%s?force=true" % dep)
        self.assertEqual(r.status, 202)
        self.assertEqual(r.body, b"")
        self.assertEqual(self.emu.request("GET", "/v2/deployments").json(), [])
        r = self.emu.request("DELETE", "/v2/deployments/" + dep)
        self.assertEqual(r.status, 404)
        self.assertEqual(r.json(), {"message": "DeploymentPlan %s does not exist" % dep})

    def test_unsetting_stuck_releases_deployment(self):
        self.emu.ctl("POST", "/config", {"stuck": True})
        dep = self.create().headers["marathon-deployment-id"]
        time.sleep(0.5)
        self.assertEqual(len(self.emu.request("GET", "/v2/deployments").json()), 1)
        self.emu.ctl("POST", "/config", {"stuck": False})
        self.wait_deployed(dep, timeout=1)
        g = self.emu.request("GET", "/v2/apps/automl/viz/sales").json()["app"]
        self.assertEqual((g["tasksRunning"], g["tasksStaged"], g["tasksHealthy"]), (1, 0, 1))

    def test_rollback_of_update_restores_definition(self):
        dep = self.create().headers["marathon-deployment-id"]
        self.wait_deployed(dep)
        self.emu.ctl("POST", "/config", {"stuck_ids": ["^/automl/"]})
        r = self.emu.request("PUT", "/v2/apps/automl/viz/sales", {"mem": 1024})
        time.sleep(0.4)
        self.assertEqual(self.emu.request("GET", "/v2/apps/automl/viz/sales").json()["app"]["mem"], 1024)
        r = self.emu.request("DELETE", "/v2/deployments/" + r.json()["deploymentId"])
        self.emu.ctl("POST", "/config", {"stuck_ids": []})
        self.assertEqual(r.status, 200)
        self.wait_deployed(r.json()["deploymentId"])
        self.assertEqual(self.emu.request("GET", "/v2/apps/automl/viz/sales").json()["app"]["mem"], 512)

    def test_complete_control_and_unhealthy(self):
        self.emu.ctl("POST", "/config", {"unhealthy": True})
        dep = self.create().headers["marathon-deployment-id"]
        g = wait_for(lambda: self.emu.request("GET", "/v2/apps/automl/viz/sales").json()["app"]["tasksRunning"])
        self.assertTrue(g)
        app = self.emu.request("GET", "/v2/apps/automl/viz/sales").json()["app"]
        self.assertEqual((app["tasksHealthy"], app["tasksUnhealthy"]), (0, 1))
        self.assertEqual(app["deployments"], [{"id": dep}])
        self.assertEqual(self.emu.ctl("POST", "/deployments/%s/complete" % dep)["completed"], [dep])
        app = self.emu.request("GET", "/v2/apps/automl/viz/sales").json()["app"]
        self.assertEqual((app["tasksHealthy"], app["deployments"]), (1, []))

    def test_instant_deployments_and_max_running(self):
        self.emu.ctl("POST", "/config", {"deploy_seconds": 0})
        self.create(app_def("/a"))
        self.assertEqual(self.emu.request("GET", "/v2/deployments").json(), [])
        self.assertEqual(self.emu.request("GET", "/v2/apps/a").json()["app"]["tasksRunning"], 1)
        self.emu.ctl("POST", "/config", {"deploy_seconds": 5, "max_running_deployments": 1})
        self.create(app_def("/b"))
        r = self.create(app_def("/c"), expect=403)
        self.assertTrue(r.json()["message"].startswith("Max number (1) of running deployments is achieved."))
        self.assertEqual(self.emu.request("POST", "/v2/apps?force=true", app_def("/c")).status, 201)

    def test_seed_and_state(self):
        out = self.emu.ctl("POST", "/apps", app_def("/seeded"))
        self.assertEqual(out["apps"][0]["tasksRunning"], 1)
        st = self.emu.ctl("GET", "/state")
        self.assertIn("/seeded", st["apps"])
        self.assertEqual(st["deployments"], [])
        self.emu.ctl("DELETE", "/apps/seeded")
        self.assertEqual(self.emu.ctl("GET", "/state")["apps"], {})


class TestFaults(Base):
    def test_status_rules_in_order_with_filters(self):
        self.emu.ctl("POST", "/faults", [{"status": 503, "count": 2, "method": "GET", "path": "/v2/apps"},
                                        {"status": 500, "count": 1, "body": {"message": "boom"}}])
        self.assertEqual(self.emu.request("GET", "/v2/deployments").status, 500)  # 2nd rule matches first
        self.assertEqual(self.emu.request("GET", "/v2/apps").status, 503)
        r = self.emu.request("GET", "/v2/apps/x")
        self.assertEqual(r.status, 503)
        self.assertEqual(self.emu.request("GET", "/v2/apps").status, 200)
        self.assertEqual(self.emu.ctl("GET", "/faults")["faults"], [])
        self.emu.ctl("POST", "/faults", {"status": 502, "body": "Could not determine the current leader",
                                         "count": -1})
        r = self.emu.request("GET", "/v2/info")
        self.assertEqual((r.status, r.text), (502, "Could not determine the current leader"))
        self.emu.ctl("DELETE", "/faults")
        self.assertEqual(self.emu.request("GET", "/v2/info").status, 200)

    def test_status_fault_does_not_change_state_unless_process(self):
        self.emu.ctl("POST", "/faults", {"status": 500, "method": "POST"})
        self.assertEqual(self.create(expect=500).json(), {"message": "Internal Server Error"})
        self.assertEqual(self.emu.ctl("GET", "/state")["apps"], {})
        self.emu.ctl("POST", "/faults", {"drop": True, "method": "POST", "process": True})
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError)):
            self.emu.request("POST", "/v2/apps", app_def())
        self.assertIn("/automl/viz/sales", self.emu.ctl("GET", "/state")["apps"])

    def test_latency_drop_reset_garbage(self):
        self.emu.ctl("POST", "/faults", [{"latency_ms": 400}, {"drop": True}, {"reset": True}, {"garbage": True}])
        t0 = time.time()
        self.assertEqual(self.emu.request("GET", "/v2/apps").status, 200)
        self.assertGreaterEqual(time.time() - t0, 0.35)
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError)):
            self.emu.request("GET", "/v2/apps")
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError)):
            self.emu.request("GET", "/v2/apps")
        r = self.emu.request("GET", "/v2/apps")
        self.assertEqual(r.status, 200)
        with self.assertRaises(ValueError):
            r.json()
        log = self.emu.ctl("GET", "/requests")["requests"]
        self.assertEqual([e["fault"].split(",")[0] if e["fault"] else None for e in log],
                         ["latency_ms=400", "drop", "reset", "garbage"])
        self.assertEqual([e["status"] for e in log], [200, None, None, 200])

    def test_latency_times_out_client(self):
        self.emu.ctl("POST", "/faults", {"latency_ms": 1500})
        with self.assertRaises(socket.timeout):
            self.emu.request("GET", "/v2/apps", timeout=0.3)

    def test_refuse(self):
        r = self.emu.ctl("POST", "/faults", {"refuse": True, "seconds": 0.8})
        self.assertEqual(r["refusing_seconds"], 0.8)
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", self.emu.port), timeout=2).close()
        ok = wait_for(lambda: self._ping_ok(), timeout=5)
        self.assertTrue(ok, "emulator did not listen again")

    def test_refuse_after_other_rules(self):
        self.emu.ctl("POST", "/faults", [{"status": 503, "count": 1}, {"refuse": True, "seconds": 0.5}])
        self.assertEqual(self.emu.request("GET", "/v2/apps").status, 503)
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", self.emu.port), timeout=2).close()
        self.assertTrue(wait_for(self._ping_ok, timeout=5))

    def test_refuse_ended_by_sigusr1(self):
        self.emu.ctl("POST", "/faults", {"refuse": True, "seconds": 300})
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", self.emu.port), timeout=2).close()
        self.emu.proc.send_signal(signal.SIGUSR1)
        self.assertTrue(wait_for(self._ping_ok, timeout=10), "SIGUSR1 did not end the refusal")

    def test_hold_until_released(self):
        self.emu.ctl("POST", "/faults", {"hold": True, "method": "POST", "count": 2})
        replies = []
        clients = [threading.Thread(target=lambda: replies.append(
            self.emu.request("POST", "/v2/apps", app_def(), timeout=30).status)) for _ in range(2)]
        for c in clients:
            c.start()
        def held():
            return [e for e in self.emu.ctl("GET", "/requests?method=POST")["requests"] if e["status"] is None]
        # both requests are held (wait for the second, not only the first)
        self.assertTrue(wait_for(lambda: len(held()) == 2, timeout=10), "not both requests were held")
        self.assertEqual(len(held()), 2)
        self.assertEqual(self.emu.ctl("GET", "/state")["apps"], {})  # not processed while held
        self.assertEqual(self.emu.request("GET", "/v2/apps").status, 200)  # other requests go on
        self.assertEqual(self.emu.ctl("POST", "/release"), {"released": 2})
        for c in clients:
            c.join(10)
        self.assertEqual(sorted(replies), [201, 409])  # both processed, in turn
        log = self.emu.ctl("GET", "/requests?method=POST")["requests"]
        self.assertEqual([e["fault"] for e in log], ["hold", "hold"])
        self.assertEqual(self.create(d=app_def("/automl/viz/other")).status, 201)  # the rule is used up
        self.assertEqual(self.emu.ctl("POST", "/release"), {"released": 0})

    def _ping_ok(self):
        try:
            return self.emu.request("GET", "/ping", timeout=1).status == 200
        except OSError:
            return False

    def test_request_log_and_log_file(self):
        self.emu.ctl("DELETE", "/requests")
        self.emu.request("POST", "/v2/apps?force=true", app_def(), headers={"Authorization": "token=abc"})
        log = self.emu.ctl("GET", "/requests")["requests"]
        self.assertEqual(len(log), 1)
        e = log[0]
        self.assertEqual((e["method"], e["path"], e["query"], e["status"]), ("POST", "/v2/apps", {"force": "true"}, 201))
        self.assertEqual(e["headers"]["Authorization"], "token=abc")
        self.assertEqual(e["headers"]["Content-Type"], "application/json")
        self.assertEqual(e["body"]["labels"]["traefik.enable"], "true")
        self.assertTrue(e["body_json"])
        self.assertTrue(e["deployment_id"])
        self.assertEqual(len(self.emu.ctl("GET", "/requests?since=%d" % e["seq"])["requests"]), 0)
        with open(self.emu.log_file) as f:
            lines = [json.loads(x) for x in f if x.strip()]
        self.assertEqual(lines[-1]["seq"], e["seq"])
        self.emu.ctl("DELETE", "/requests")
        self.assertEqual(self.emu.ctl("GET", "/requests")["requests"], [])

    def test_bad_fault_rule_rejected(self):
        r = self.emu.request("POST", "/_emulator/faults", [{"stauts": 500}])
        self.assertEqual(r.status, 400)


class TestHostile(Base):
    """A Marathon (or anything at its URL) that answers with what a client must not trust."""

    def test_append_trailing_garbage_after_processing(self):
        self.emu.ctl("POST", "/faults", {"append": "}{trailing", "method": "POST"})
        r = self.create()
        self.assertTrue(r.text.endswith("}{trailing"))
        body, end = json.JSONDecoder().raw_decode(r.text)
        self.assertEqual(body["id"], "/automl/viz/sales")   # the real answer, then garbage
        self.assertEqual(r.text[end:], "}{trailing")
        self.assertEqual(int(r.headers["content-length"]), len(r.body))
        self.assertIn("/automl/viz/sales", self.emu.ctl("GET", "/state")["apps"])   # processed
        self.assertEqual(self.emu.ctl("GET", "/requests")["requests"][-1]["fault"], "append")

    def test_mutate_nulls_and_wrong_types_in_deployments(self):
        self.emu.ctl("POST", "/config", {"stuck": True})
        dep = self.create().headers["marathon-deployment-id"]
        self.emu.ctl("POST", "/faults", [
            {"mutate": [[["*", "affectedApps", "*"], None]], "path": "/v2/deployments"},
            {"mutate": [[[0, "affectedApps"], "not a list"], [[0, "id"], 42]], "path": "/v2/deployments"},
            {"mutate": [[[0, "id"], {"$delete": True}]], "path": "/v2/deployments"}])
        self.assertEqual(self.emu.request("GET", "/v2/deployments").json()[0]["affectedApps"], [None])
        d = self.emu.request("GET", "/v2/deployments").json()[0]
        self.assertEqual((d["affectedApps"], d["id"]), ("not a list", 42))
        self.assertNotIn("id", self.emu.request("GET", "/v2/deployments").json()[0])
        # the rules are used up: the real answer again
        self.assertEqual(self.emu.request("GET", "/v2/deployments").json()[0]["id"], dep)

    def test_mutate_app_document_and_raw_values(self):
        self.create()
        self.emu.ctl("POST", "/faults", [
            {"mutate": [[["app", "labels"], None], [["app", "deployments"], [None, {"id": ["x"]}]],
                        [["app", "tasksRunning"], "1"], [["app", "instances"], -3]], "method": "GET"},
            {"mutate": [[["app", "tasksRunning"], {"$raw": "1e999999"}],
                        [["app", "version"], {"$raw": '"a\\u0000b"'}]], "method": "GET"},
            {"mutate": [[["$"], None]], "method": "GET"}])
        app = self.emu.request("GET", "/v2/apps/automl/viz/sales").json()["app"]
        self.assertEqual((app["labels"], app["deployments"], app["tasksRunning"], app["instances"]),
                         (None, [None, {"id": ["x"]}], "1", -3))
        r = self.emu.request("GET", "/v2/apps/automl/viz/sales")
        self.assertIn('"tasksRunning":1e999999', r.text)
        self.assertIn('"version":"a\\u0000b"', r.text)
        self.assertEqual(r.json()["app"]["version"], "a\x00b")
        self.assertEqual(self.emu.request("GET", "/v2/apps/automl/viz/sales").text, "null")

    def test_headers_replaced_on_processed_answer(self):
        self.emu.ctl("POST", "/faults", {"headers": {"Marathon-Deployment-Id": "../../v2/apps?x"},
                                         "method": "POST"})
        r = self.create()
        self.assertEqual(r.headers["marathon-deployment-id"], "../../v2/apps?x")
        self.assertNotEqual(r.json()["deployments"][0]["id"], "../../v2/apps?x")

    def test_error_bodies_that_are_not_jsonb(self):
        raw = '{"message":"bad\\u0000 input","details":[{"path":"/id","errors":[1e999999]}]}'
        self.emu.ctl("POST", "/faults", [
            {"status": 422, "body": raw, "content_type": "application/json", "method": "POST"},
            {"status": 422, "body_bytes": '{"message":"caf\u00e9 \u00ff\u0000"}', "method": "POST"}])
        r = self.create(expect=422)
        self.assertEqual(r.headers["content-type"], "application/json")
        self.assertEqual(r.text, raw)
        r = self.create(expect=422)
        self.assertEqual(r.body, b'{"message":"caf\xe9 \xff\x00"}')
        self.assertEqual(self.emu.ctl("GET", "/state")["apps"], {})

    def test_odd_deployment_ids(self):
        odd = "../../v2/apps?x"
        self.emu.ctl("POST", "/config", {"next_deployment_ids": [odd], "stuck": True})
        r = self.create()
        self.assertEqual(r.headers["marathon-deployment-id"], odd)
        self.assertEqual(r.json()["deployments"], [{"id": odd}])
        self.assertEqual([d["id"] for d in self.emu.request("GET", "/v2/deployments").json()], [odd])
        app = self.emu.request("GET", "/v2/apps/automl/viz/sales").json()["app"]
        self.assertEqual(app["deployments"], [{"id": odd}])
        self.assertEqual(self.emu.ctl("GET", "/config")["next_deployment_ids"], [])
        # reachable only through a properly escaped URL
        r = self.emu.request("DELETE", "/v2/deployments/..%2F..%2Fv2%2Fapps%3Fx?force=true")
        self.assertEqual(r.status, 202)
        # the next deployment has a UUID again
        r = self.create(app_def("/automl/viz/other"))
        self.assertRegex(r.headers["marathon-deployment-id"], r"^[0-9a-f-]{36}$")

    def test_body_regex_picks_one_request(self):
        self.emu.ctl("POST", "/faults", {"status": 422, "method": "POST", "body_regex": '"id": ?"/automl/viz/bad"'})
        self.create(app_def("/automl/viz/good"))
        self.create(app_def("/automl/viz/bad"), expect=422)
        self.create(app_def("/automl/viz/bad"))
        self.assertEqual(self.emu.request("POST", "/_emulator/faults", {"status": 500, "body_regex": "("}).status, 400)

    def test_bad_hostile_rules_rejected(self):
        for rule in ({"mutate": "x"}, {"mutate": [["app", 1]]}, {"mutate": [[[], 1]]},
                     {"mutate": [[["a", 1.5], 1]]}, {"mutate": [[["a"], {"$raw": 5}]]},
                     {"append": 5}, {"headers": {"X": "a\r\nb"}}, {"body_bytes": "x"},
                     {"status": 500, "body_bytes": "\u0100"}):
            r = self.emu.request("POST", "/_emulator/faults", rule)
            self.assertEqual(r.status, 400, rule)
        for cfg in ({"next_deployment_ids": "x"}, {"next_deployment_ids": [""]},
                    {"next_deployment_ids": ["a\nb"]}):
            r = self.emu.request("POST", "/_emulator/config", cfg)
            self.assertEqual(r.status, 400, cfg)


class TestConcurrency(Base):
    ARGS = ("--deploy-seconds", "0")

    def test_parallel_clients(self):
        errors = []
        statuses = []
        lock = threading.Lock()

        def worker(n):
            conn = http.client.HTTPConnection("127.0.0.1", self.emu.port, timeout=10)
            try:
                for i in range(15):
                    body = json.dumps(app_def("/load/w%d/app%d" % (n, i))).encode()
                    conn.request("POST", "/v2/apps", body=body, headers={"Content-Type": "application/json"})
                    r = conn.getresponse()
                    r.read()
                    conn.request("GET", "/v2/apps/load/w%d/app%d" % (n, i))
                    g = conn.getresponse()
                    g.read()
                    with lock:
                        statuses.append((r.status, g.status))
            except Exception as e:  # collected and asserted below
                with lock:
                    errors.append(repr(e))
            finally:
                conn.close()

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        self.assertEqual(errors, [])
        self.assertEqual(len(statuses), 150)
        self.assertTrue(all(s == (201, 200) for s in statuses), statuses[:5])
        st = self.emu.ctl("GET", "/state")
        self.assertEqual(len(st["apps"]), 150)
        ports = [a["container"]["portMappings"][0]["servicePort"] for a in st["apps"].values()]
        self.assertEqual(len(set(ports)), 150, "service ports must be unique")
        self.assertEqual(len(self.emu.ctl("GET", "/requests")["requests"]), 300)


class TestBasicAuthAndPrefix(Base):
    ARGS = ("--auth", "basic:alice:s3cret", "--prefix", "/service/marathon/")

    def test_basic_auth(self):
        r = self.emu.request("GET", "/service/marathon/v2/apps")
        self.assertEqual(r.status, 401)
        self.assertEqual(r.headers["www-authenticate"], 'basic realm="Mesosphere"')
        self.assertTrue(r.headers["content-type"].startswith("text/html"))
        bad = "Basic " + base64.b64encode(b"alice:wrong").decode()
        self.assertEqual(self.emu.request("GET", "/service/marathon/v2/apps",
                                          headers={"Authorization": bad}).status, 401)
        good = "Basic " + base64.b64encode(b"alice:s3cret").decode()
        r = self.emu.request("GET", "/service/marathon/v2/apps", headers={"Authorization": good})
        self.assertEqual(r.status, 200)
        self.assertEqual(self.emu.request("GET", "/service/marathon/ping").status, 200)  # /ping exempt
        log = self.emu.ctl("GET", "/requests")["requests"]  # control API needs no auth
        self.assertEqual([e["status"] for e in log], [401, 401, 200, 200])
        self.assertEqual(log[2]["headers"]["Authorization"], good)

    def test_prefix(self):
        good = "Basic " + base64.b64encode(b"alice:s3cret").decode()
        r = self.emu.request("POST", "/service/marathon/v2/apps", app_def(), headers={"Authorization": good})
        self.assertEqual(r.status, 201, r.text)
        self.assertEqual(self.emu.request("GET", "/v2/apps", headers={"Authorization": good}).status, 404)
        log = self.emu.ctl("GET", "/requests")["requests"]
        self.assertEqual(log[0]["path"], "/v2/apps")
        self.assertEqual(log[0]["raw_path"], "/service/marathon/v2/apps")
        self.assertFalse(log[1]["under_prefix"])
        self.emu.ctl("POST", "/faults", {"status": 503, "path": "/v2/apps"})
        self.assertEqual(self.emu.request("GET", "/service/marathon/v2/apps/x",
                                          headers={"Authorization": good}).status, 503)


class TestTokenAuth(Base):
    ARGS = ("--auth", "token:T0KEN")

    def test_token(self):
        self.assertEqual(self.emu.request("GET", "/v2/apps").status, 401)
        self.assertEqual(self.emu.request("GET", "/v2/apps", headers={"Authorization": "Bearer T0KEN"}).status, 401)
        self.assertEqual(self.emu.request("GET", "/v2/apps", headers={"Authorization": "token=T0KEN"}).status, 200)
        self.emu.ctl("POST", "/config", {"auth": None})
        self.assertEqual(self.emu.request("GET", "/v2/apps").status, 200)


class TestProcess(unittest.TestCase):
    def test_sigterm_exits_cleanly(self):
        emu = Emu()
        try:
            self.assertEqual(emu.request("GET", "/ping").status, 200)
            t0 = time.time()
            emu.proc.send_signal(signal.SIGTERM)
            self.assertEqual(emu.proc.wait(5), 0)
            self.assertLess(time.time() - t0, 3)
        finally:
            emu.stop()

    def test_rejects_non_loopback_host(self):
        p = subprocess.run([sys.executable, EMULATOR, "--host", "0.0.0.0"], capture_output=True, timeout=10)
        self.assertNotEqual(p.returncode, 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
