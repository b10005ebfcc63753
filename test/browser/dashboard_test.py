#!/usr/bin/python3
"""dashboard_test.py — drives the automl dashboard in real headless Chromium
through the DevTools protocol (Debian's chromium and python3-websocket):
sign in (typing, Enter), register an app, see the server's validation
message next to the field, add a configuration, deploy it against the
Marathon emulator, watch its status reach "running" without reloading the
page (Server-Sent Events), undeploy, page through a long list.  A screenshot
of each step is written to --out.

    /usr/bin/python3 test/browser/dashboard_test.py --base http://127.0.0.1:8088 \
        --user alice --password secret --out test/results/browser

Exits 0 when every step passed; prints one line per step ("ok N - ...").
"""
import argparse
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket  # Debian: python3-websocket

STEP = 0


class Browser:
    def __init__(self, chromium):
        self.profile = tempfile.mkdtemp(prefix='automl-chromium-')
        self.proc = subprocess.Popen(
            [chromium, '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
             '--no-first-run', '--no-default-browser-check', '--remote-debugging-port=0',
             '--user-data-dir=' + self.profile, '--window-size=1280,1000', 'about:blank'],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        port = None
        deadline = time.time() + 60
        while port is None and time.time() < deadline:
            line = self.proc.stderr.readline()
            if not line and self.proc.poll() is not None:
                raise RuntimeError('chromium exited: %s' % self.proc.returncode)
            m = re.search(r'DevTools listening on ws://[^:]+:(\d+)/', line)
            if m:
                port = int(m.group(1))
        if port is None:
            raise RuntimeError('chromium did not open its DevTools port')
        targets = json.load(urllib.request.urlopen('http://127.0.0.1:%d/json/list' % port))
        page = next(t for t in targets if t['type'] == 'page')
        self.ws = websocket.create_connection(page['webSocketDebuggerUrl'], timeout=60, suppress_origin=True)
        self.next_id = 0
        self.call('Page.enable')
        self.call('Runtime.enable')

    def call(self, method, **params):
        self.next_id += 1
        my_id = self.next_id
        self.ws.send(json.dumps({'id': my_id, 'method': method, 'params': params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get('id') == my_id:
                if 'error' in msg:
                    raise RuntimeError('%s: %s' % (method, msg['error']))
                return msg.get('result', {})

    def js(self, expr):
        r = self.call('Runtime.evaluate', expression=expr, awaitPromise=True, returnByValue=True)
        if 'exceptionDetails' in r:
            raise RuntimeError('JavaScript error in %r: %s' % (expr[:80], r['exceptionDetails']))
        return r['result'].get('value')

    def wait(self, expr, what, seconds=30):
        deadline = time.time() + seconds
        while time.time() < deadline:
            v = self.js(expr)
            if v:
                return v
            time.sleep(0.05)
        raise AssertionError('timed out waiting for ' + what)

    def key(self, key, code=None, text=None):
        for kind in ('keyDown', 'keyUp'):
            params = {'type': kind, 'key': key, 'code': code or key,
                      'windowsVirtualKeyCode': {'Enter': 13, 'Tab': 9}.get(key, 0)}
            if text and kind == 'keyDown':
                params['text'] = text
            self.call('Input.dispatchKeyEvent', **params)

    def type(self, text):
        self.call('Input.insertText', text=text)

    def screenshot(self, path):
        data = self.call('Page.captureScreenshot', format='png', captureBeyondViewport=True)['data']
        with open(path, 'wb') as f:
            f.write(base64.b64decode(data))

    def close(self):
        try:
            self.ws.close()
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            shutil.rmtree(self.profile, ignore_errors=True)


def step(b, out, name, description):
    global STEP
    STEP += 1
    path = os.path.join(out, '%02d-%s.png' % (STEP, name))
    b.screenshot(path)
    print('ok %d - %s (%s)' % (STEP, description, os.path.basename(path)), flush=True)


def fill(b, selector, value):
    b.js('(() => { const e = document.querySelector(%s); e.value = %s; })()' % (json.dumps(selector), json.dumps(value)))


def click(b, selector):
    b.js('document.querySelector(%s).click()' % json.dumps(selector))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--base', required=True)
    ap.add_argument('--user', required=True)
    ap.add_argument('--password', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--app', default='dash-demo')
    ap.add_argument('--chromium', default=shutil.which('chromium') or '/usr/bin/chromium')
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    b = Browser(args.chromium)
    try:
        b.call('Page.navigate', url=args.base + '/')
        b.wait('document.readyState === "complete" && !!document.getElementById("signin-form")', 'the page')
        b.js('window.__sameDocument = true')
        step(b, args.out, 'signin', 'the sign-in form is shown')

        # keyboard only: focus the role field, type, Tab, type, Enter
        b.js('document.getElementById("si-user").focus()')
        b.type(args.user)
        b.key('Tab')
        assert b.js('document.activeElement.id') == 'si-pass', 'Tab moves to the password field'
        b.type(args.password)
        b.key('Enter', 'Enter', '\r')
        b.wait('!document.getElementById("apps").hidden', 'the apps section after signing in')
        b.wait('document.getElementById("live").textContent === "live"', 'the event stream')
        step(b, args.out, 'signed-in', 'signed in with the keyboard; the event stream is live')

        # register an app, with a server-side validation error first
        click(b, '#new-app summary')
        fill(b, '#app-name', 'Bad Name!')
        fill(b, '#app-image', 'nginx:1.25')
        click(b, '#app-form button[type=submit]')
        msg = b.wait('document.getElementById("app-name-error").textContent', "the server's message next to the name")
        assert 'name' in msg.lower(), msg
        step(b, args.out, 'validation', 'the server\'s validation message is shown next to the field: ' + msg[:60])
        fill(b, '#app-name', args.app)
        click(b, '#app-form button[type=submit]')
        b.wait('document.getElementById("app-title").textContent === "App %s"' % args.app, 'the new app')
        step(b, args.out, 'app-created', 'app registered and opened')

        # a configuration; a bad value first
        fill(b, '#cfg-name', 'default')
        fill(b, '#cfg-cpus', '-1')
        fill(b, '#cfg-mem', '64')
        click(b, '#config-form button[type=submit]')
        msg = b.wait('document.getElementById("cfg-cpus-error").textContent', 'the cpus message')
        step(b, args.out, 'config-invalid', 'invalid cpus refused next to the field: ' + msg[:60])
        fill(b, '#cfg-cpus', '0.1')
        click(b, '#config-form button[type=submit]')
        badge = 'document.getElementById("state-%s/default")' % args.app
        b.wait('!!' + badge, 'the configuration row')
        step(b, args.out, 'config-created', 'configuration added')

        # deploy; the status follows the events without a reload
        click(b, 'button[aria-label="Deploy default"]')
        b.wait(badge + '.textContent !== "—"', 'a deployment state')
        step(b, args.out, 'deploy-requested', 'deploy requested: ' + b.js(badge + '.textContent'))
        b.wait(badge + '.textContent === "running"', 'running', 60)
        assert b.js('window.__sameDocument === true'), 'the page was not reloaded'
        step(b, args.out, 'running', 'status reached running without reloading the page')

        click(b, 'button[aria-label="Undeploy default"]')
        b.wait(badge + '.textContent === "deleted"', 'deleted', 60)
        assert b.js('window.__sameDocument === true'), 'the page was not reloaded'
        step(b, args.out, 'undeployed', 'undeployed: status deleted, live')

        # history and pagination
        click(b, '#tabs button[data-tab="deployments"]')
        b.wait('document.querySelectorAll("#dep-table tbody tr").length >= 2', 'the deployment history')
        step(b, args.out, 'deployments', 'deployment history')
        click(b, '#tabs button[data-tab="apps"]')
        b.wait('document.querySelectorAll("#apps-table tbody tr").length > 0', 'the apps')
        pager = b.js('document.querySelector(".pager[data-for=apps] span").textContent')
        m = re.match(r'(\d+)–(\d+) of (\d+)', pager or '')
        if m and int(m.group(3)) > 50:
            click(b, '.pager[data-for=apps] button:nth-of-type(2)')
            b.wait('document.querySelector(".pager[data-for=apps] span").textContent.startsWith("51")', 'page 2')
            step(b, args.out, 'apps-page-2', 'second page of apps: ' + b.js('document.querySelector(".pager[data-for=apps] span").textContent'))
        click(b, '#tabs button[data-tab="runs"]')
        b.wait('!!document.querySelector(".pager[data-for=runs] span")', 'the runs')
        if b.js('document.querySelectorAll("#runs-table tbody tr").length') > 0:
            b.js('document.querySelector("#runs-table tbody tr").click()')
            b.wait('!!document.querySelector("#chart-evals svg path")', 'the chart')
            b.js('document.getElementById("run-detail").scrollIntoView()')
            step(b, args.out, 'run', 'a run with its leaderboard and chart')
    except Exception as e:  # a failed step: say which, keep a screenshot
        print('not ok %d - %s' % (STEP + 1, e), flush=True)
        try:
            b.screenshot(os.path.join(args.out, 'failed.png'))
        except Exception:
            pass
        b.close()
        return 1
    b.close()
    print('1..%d' % STEP)
    return 0


if __name__ == '__main__':
    sys.exit(main())
