/* automl dashboard: talks to the HTTP API of the same server.  Credentials
 * stay in this page's memory only; every value from the server is put into
 * the page with textContent (never as HTML). */
'use strict';
(function () {
  const PAGE = 50;
  let auth = null;            // "Basic ..." header value
  let user = null;
  let current = 'apps';
  let selectedApp = null;
  let eventsAbort = null;
  const offsets = { apps: 0, deployments: 0, runs: 0, jobs: 0 };
  const totals = {};
  const $ = (id) => document.getElementById(id);

  function status(text) { $('status').textContent = text; }

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }

  async function api(method, path, body) {
    const opts = { method, headers: { 'Authorization': auth, 'X-Requested-With': 'automl-dashboard' } };
    if (body !== undefined) { opts.headers['Content-Type'] = 'application/json'; opts.body = JSON.stringify(body); }
    const res = await fetch(path, opts);
    let data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    if (res.status === 401 && user) { signOut('Your session was refused; sign in again.'); }
    return { status: res.status, ok: res.ok, data: data || {} };
  }

  // ------------------------------------------------------------ sign in
  $('signin-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const u = $('si-user').value, p = $('si-pass').value;
    auth = 'Basic ' + btoa(unescape(encodeURIComponent(u + ':' + p)));
    const r = await api('GET', '/apps?limit=1');
    if (!r.ok) {
      auth = null;
      $('si-error').textContent = r.data.error || ('Sign-in failed (' + r.status + ')');
      $('si-pass').focus();
      return;
    }
    user = u;
    $('si-pass').value = '';
    $('si-error').textContent = '';
    $('signin').hidden = true;
    $('tabs').hidden = false;
    $('whoami').hidden = false;
    $('who').textContent = 'Signed in as ' + u;
    const jobs = await api('GET', '/jobs?limit=1');
    document.querySelector('[data-tab="jobs"]').hidden = jobs.status !== 200;
    show('apps');
    startEvents();
  });

  function signOut(message) {
    auth = null; user = null;
    if (eventsAbort) eventsAbort.abort();
    ['apps', 'deployments', 'runs', 'jobs'].forEach((s) => { $(s).hidden = true; });
    $('tabs').hidden = true; $('whoami').hidden = true; $('signin').hidden = false;
    $('si-error').textContent = message || '';
    $('si-user').focus();
  }
  $('signout').addEventListener('click', () => signOut('Signed out.'));

  // ------------------------------------------------------------ tabs and pages
  document.querySelectorAll('#tabs button').forEach((b) => b.addEventListener('click', () => show(b.dataset.tab)));

  function show(tab) {
    current = tab;
    document.querySelectorAll('#tabs button').forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.tab === tab)));
    ['apps', 'deployments', 'runs', 'jobs'].forEach((s) => { $(s).hidden = s !== tab; });
    load(tab);
  }

  function load(tab) {
    if (tab === 'apps') return loadApps();
    if (tab === 'deployments') return loadDeployments();
    if (tab === 'runs') return loadRuns();
    if (tab === 'jobs') return loadJobs();
  }

  function pager(name, total) {
    totals[name] = total;
    const div = document.querySelector('.pager[data-for="' + name + '"]');
    div.textContent = '';
    const from = total === 0 ? 0 : offsets[name] + 1, to = Math.min(offsets[name] + PAGE, total);
    const prev = el('button', 'Previous'), next = el('button', 'Next');
    prev.type = next.type = 'button';
    prev.disabled = offsets[name] === 0;
    next.disabled = offsets[name] + PAGE >= total;
    prev.addEventListener('click', () => { offsets[name] = Math.max(0, offsets[name] - PAGE); load(name); });
    next.addEventListener('click', () => { offsets[name] += PAGE; load(name); });
    div.append(prev, next, el('span', from + '–' + to + ' of ' + total));
  }

  function row(cells, onOpen) {
    const tr = el('tr');
    cells.forEach((c) => { const td = el('td'); if (c instanceof Node) td.append(c); else td.textContent = c === null || c === undefined ? '' : String(c); tr.append(td); });
    if (onOpen) {
      tr.className = 'selectable';
      tr.tabIndex = 0;
      tr.addEventListener('click', onOpen);
      tr.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); onOpen(); } });
    }
    return tr;
  }

  function stateBadge(state) { return el('span', state || '—', 'state state-' + (state || 'none')); }

  // ------------------------------------------------------------ apps
  $('apps-filter').addEventListener('submit', (ev) => { ev.preventDefault(); offsets.apps = 0; loadApps(); });

  async function loadApps() {
    const q = $('apps-q').value;
    const r = await api('GET', '/apps?limit=' + PAGE + '&offset=' + offsets.apps + (q ? '&q=' + encodeURIComponent(q) : ''));
    if (!r.ok) return status(r.data.error || 'could not list apps');
    const tb = $('apps-table').tBodies[0];
    tb.textContent = '';
    r.data.items.forEach((a) => tb.append(row([a.name, a.image || a.command, a.owner, a.description], () => openApp(a.name))));
    pager('apps', r.data.total);
  }

  function formValues(form) {
    const out = {};
    form.dataset.fields.split(',').forEach((f) => {
      const v = form.elements[f].value.trim();
      if (v === '') return;
      if (f === 'ports') out[f] = v.split(',').map((s) => Number(s.trim()));
      else if (['cpus', 'mem', 'instances'].includes(f)) out[f] = Number(v);
      else out[f] = v;
    });
    return out;
  }

  // Show the server's message next to the field it names (or under the form).
  function showErrors(form, prefix, r) {
    form.querySelectorAll('.error').forEach((e) => { e.textContent = ''; });
    form.querySelectorAll('input').forEach((i) => i.removeAttribute('aria-invalid'));
    if (r.ok) return false;
    const msg = [r.data.error, r.data.detail].filter(Boolean).join(' — ') || ('Error ' + r.status);
    const text = ((r.data.error || '') + ' ' + (r.data.detail || '')).toLowerCase();
    const field = form.dataset.fields.split(',').find((f) => new RegExp('\\b' + f + '\\b').test(text));
    if (field) {
      $(prefix + '-' + field + '-error').textContent = msg;
      form.elements[field].setAttribute('aria-invalid', 'true');
      form.elements[field].focus();
    } else {
      form.querySelector('[role="alert"]').textContent = msg;
    }
    return true;
  }

  $('app-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const form = ev.target;
    const r = await api('POST', '/apps', formValues(form));
    if (showErrors(form, 'app', r)) return;
    form.reset();
    status('App ' + r.data.name + ' registered.');
    await loadApps();
    openApp(r.data.name);
  });

  async function openApp(name) {
    const r = await api('GET', '/apps/' + encodeURIComponent(name));
    if (!r.ok) return status(r.data.error);
    selectedApp = r.data;
    $('app-detail').hidden = false;
    $('app-title').textContent = 'App ' + r.data.name;
    $('app-summary').textContent = 'Owner ' + r.data.owner + (r.data.may_change ? '' : ' — you may look but not change it');
    $('edit-image').value = r.data.image || '';
    $('edit-command').value = r.data.command || '';
    $('edit-description').value = r.data.description || '';
    ['app-edit', 'config-form'].forEach((f) => { $(f).hidden = !r.data.may_change; });
    await loadConfigs();
    $('app-title').focus();
  }

  $('app-edit').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const form = ev.target;
    const body = {};
    ['image', 'command', 'description'].forEach((f) => { const v = form.elements[f].value.trim(); body[f] = v === '' ? null : v; });
    const r = await api('PATCH', '/apps/' + encodeURIComponent(selectedApp.name), body);
    if (showErrors(form, 'edit', r)) return;
    status('App ' + selectedApp.name + ' saved.');
    loadApps();
  });

  const lastState = {};     // "app/config" -> deployment state

  async function loadConfigs() {
    const app = selectedApp.name;
    const r = await api('GET', '/apps/' + encodeURIComponent(app) + '/configs');
    const d = await api('GET', '/deployments?limit=200');
    const tb = $('configs-table').tBodies[0];
    tb.textContent = '';
    if (!r.ok) return;
    if (d.ok) d.data.items.slice().reverse().forEach((x) => { lastState[x.app + '/' + x.config] = x.state; });
    r.data.items.forEach((c) => {
      const key = app + '/' + c.name;
      const st = stateBadge(lastState[key]);
      st.id = 'state-' + key;
      st.setAttribute('aria-live', 'polite');
      const dep = el('button', 'Deploy'), undep = el('button', 'Undeploy'), edit = el('button', 'Edit');
      dep.type = undep.type = edit.type = 'button';
      dep.setAttribute('aria-label', 'Deploy ' + c.name);
      undep.setAttribute('aria-label', 'Undeploy ' + c.name);
      edit.setAttribute('aria-label', 'Edit ' + c.name);
      dep.addEventListener('click', () => deploy(app, c.name, 'POST'));
      undep.addEventListener('click', () => deploy(app, c.name, 'DELETE'));
      edit.addEventListener('click', () => {
        const f = $('config-form');
        ['name', 'cpus', 'mem', 'instances'].forEach((k) => { f.elements[k].value = c[k]; });
        f.elements.cpus.focus();
      });
      const actions = el('span');
      if (selectedApp.may_change) actions.append(dep, undep, edit);
      tb.append(row([c.name, c.cpus, c.mem, c.instances, st, actions]));
    });
  }

  $('config-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const form = ev.target;
    const body = formValues(form);
    const name = body.name || 'default';
    const base = '/apps/' + encodeURIComponent(selectedApp.name) + '/configs';
    const exists = (await api('GET', base + '/' + encodeURIComponent(name))).ok;
    const r = exists ? await api('PATCH', base + '/' + encodeURIComponent(name), body) : await api('POST', base, body);
    if (showErrors(form, 'cfg', r)) return;
    status('Configuration ' + name + ' saved.');
    loadConfigs();
  });

  async function deploy(app, config, method) {
    const r = await api(method, '/apps/' + encodeURIComponent(app) + '/configs/' + encodeURIComponent(config) + '/deploy');
    if (!r.ok) return status(r.data.error + (r.data.detail ? ' — ' + r.data.detail : ''));
    status((method === 'POST' ? 'Deployment' : 'Undeployment') + ' ' + r.data.id + ' requested.');
    setState(r.data);
  }

  function setState(d) {
    const key = d.app + '/' + d.config;
    lastState[key] = d.state;
    const badge = document.getElementById('state-' + key);
    if (badge) { badge.textContent = d.state; badge.className = 'state state-' + d.state; }
  }

  // ------------------------------------------------------------ deployments
  $('dep-filter').addEventListener('submit', (ev) => { ev.preventDefault(); offsets.deployments = 0; loadDeployments(); });

  async function loadDeployments() {
    const s = $('dep-state').value;
    const r = await api('GET', '/deployments?limit=' + PAGE + '&offset=' + offsets.deployments + (s ? '&state=' + encodeURIComponent(s) : ''));
    if (!r.ok) return status(r.data.error);
    const tb = $('dep-table').tBodies[0];
    tb.textContent = '';
    r.data.items.forEach((d) => {
      const tr = row([d.id, d.app, d.config, d.action, stateBadge(d.state), d.requested_by, (d.updated_at || '').replace('T', ' ').slice(0, 19), d.last_error]);
      tr.id = 'dep-' + d.id;
      tb.append(tr);
    });
    pager('deployments', r.data.total);
  }

  // ------------------------------------------------------------ runs
  async function loadRuns() {
    const r = await api('GET', '/runs?limit=' + PAGE + '&offset=' + offsets.runs);
    if (!r.ok) return status(r.data.error);
    const tb = $('runs-table').tBodies[0];
    tb.textContent = '';
    r.data.items.forEach((x) => tb.append(row([x.id, x.name, x.relation + ' → ' + x.target, x.task, x.metric, x.status, x.evaluated,
      x.cv_score === null ? '' : Number(x.cv_score).toFixed(4)], () => openRun(x.id))));
    pager('runs', r.data.total);
  }

  async function openRun(id) {
    const r = await api('GET', '/runs/' + id);
    if (!r.ok) return status(r.data.error);
    const run = r.data;
    $('run-detail').hidden = false;
    $('run-title').textContent = 'Run ' + run.id + (run.name ? ' (' + run.name + ')' : '') + ': ' + run.metric + ', ' + (run.greater_is_better ? 'higher' : 'lower') + ' is better';
    // running best over pipelines evaluated, and over cumulative fitting time
    const better = (a, b) => (run.greater_is_better ? a > b : a < b);
    let best = null, t = 0;
    const byEval = [], byTime = [];
    run.pipelines.forEach(([number, score, seconds, st]) => {
      t += seconds || 0;
      if (st === 'ok' && score !== null && (best === null || better(score, best))) best = score;
      if (best !== null) { byEval.push([number, best]); byTime.push([t, best]); }
    });
    chart($('chart-evals'), byEval, 'pipelines');
    chart($('chart-time'), byTime, 'seconds');
    const tb = $('lb-table').tBodies[0];
    tb.textContent = '';
    run.leaderboard.forEach((l) => tb.append(row([l.rank, l.pipeline, l.description, Number(l.cv_score).toFixed(4),
      l.cv_std === null ? '' : Number(l.cv_std).toFixed(4), l.seconds, l.in_model ? 'yes' : ''])));
    $('run-title').focus();
  }

  // A step line of points [[x, y]...] in SVG, drawn here (no library).
  function chart(host, pts, xlabel) {
    const NS = 'http://www.w3.org/2000/svg', W = 420, H = 220, L = 50, B = 30, T = 10, R = 10;
    host.textContent = '';
    const svg = document.createElementNS(NS, 'svg');
    svg.setAttribute('class', 'chart'); svg.setAttribute('width', W); svg.setAttribute('height', H);
    svg.setAttribute('role', 'img');
    const add = (tag, attrs, text) => { const e = document.createElementNS(NS, tag); Object.keys(attrs).forEach((k) => e.setAttribute(k, attrs[k])); if (text !== undefined) e.textContent = text; svg.append(e); return e; };
    if (pts.length === 0) { svg.setAttribute('aria-label', 'no scored pipeline yet'); add('text', { x: L, y: H / 2 }, 'no scored pipeline yet'); host.append(svg); return; }
    const xs = pts.map((p) => p[0]), ys = pts.map((p) => p[1]);
    const x0 = Math.min(...xs), x1 = Math.max(...xs) || 1, y0 = Math.min(...ys), y1 = Math.max(...ys);
    const sx = (x) => L + (x1 === x0 ? 0 : (x - x0) / (x1 - x0)) * (W - L - R);
    const sy = (y) => H - B - (y1 === y0 ? 0.5 : (y - y0) / (y1 - y0)) * (H - B - T);
    let d = 'M' + sx(pts[0][0]) + ',' + sy(pts[0][1]);
    for (let i = 1; i < pts.length; i++) d += ' H' + sx(pts[i][0]) + ' V' + sy(pts[i][1]);
    add('line', { x1: L, y1: H - B, x2: W - R, y2: H - B, class: 'axis' });
    add('line', { x1: L, y1: T, x2: L, y2: H - B, class: 'axis' });
    add('path', { d, class: 'line' });
    add('text', { x: 2, y: sy(y1) + 4 }, y1.toFixed(3));
    add('text', { x: 2, y: sy(y0) + 4 }, y0.toFixed(3));
    add('text', { x: L, y: H - 8 }, String(Math.round(x0 * 100) / 100));
    add('text', { x: W - R - 60, y: H - 8 }, String(Math.round(x1 * 100) / 100) + ' ' + xlabel);
    svg.setAttribute('aria-label', 'best score from ' + ys[0].toFixed(4) + ' to ' + ys[ys.length - 1].toFixed(4) + ' over ' + pts.length + ' ' + xlabel + ' points');
    host.append(svg);
  }

  // ------------------------------------------------------------ jobs (when the job queue exists)
  // columns of automl.jobs (sql/install/50_jobs.sql): state, evaluated, best_score,
  // seconds_left, run_id, model_id, error; arguments holds automl_train's arguments
  function jobProgress(j) {
    const p = el('progress');
    const max = Number((j.arguments || {}).max_evaluations || 0);
    if (j.state === 'running' && max > 0) { p.max = max; p.value = Math.min(max, Number(j.evaluated || 0)); }
    else if (j.state !== 'running' && j.state !== 'queued') { p.max = 1; p.value = 1; }
    else if (j.state === 'queued') { p.max = 1; p.value = 0; }
    // running without max_evaluations: indeterminate (no value attribute)
    p.setAttribute('aria-label', 'progress of job ' + j.id);
    const box = el('span');
    const left = j.seconds_left != null && j.state === 'running' ? ', ' + Math.round(j.seconds_left) + ' s left' : '';
    box.append(p, el('span', ' ' + (j.evaluated || 0) + ' pipelines' + left));
    return box;
  }

  function jobCells(j) {
    const args = j.arguments || {};
    const cells = [String(j.id), stateBadge(j.state), (args.relation || '') + ' → ' + (args.target || ''),
      jobProgress(j), j.best_score == null ? '' : Number(j.best_score).toFixed(4),
      (j.run_id ? 'run ' + j.run_id : '') + (j.model_id ? ', model ' + j.model_id : '') + (j.error ? ' ' + j.error : '')];
    if (j.state === 'queued' || j.state === 'running') {
      const cancel = el('button', 'Cancel');
      cancel.type = 'button';
      cancel.setAttribute('aria-label', 'cancel job ' + j.id + ' (keep the best model so far)');
      cancel.addEventListener('click', async () => {
        cancel.disabled = true;
        const c = await api('POST', '/jobs/' + j.id + '/cancel', { keep_best: true });
        status(c.ok ? 'Cancel of job ' + j.id + ' requested.' : c.data.error);
        loadJobs();
      });
      cells.push(cancel);
    } else cells.push('');
    return cells;
  }

  async function loadJobs() {
    const r = await api('GET', '/jobs?limit=' + PAGE + '&offset=' + offsets.jobs);
    if (!r.ok) return status(r.data.error);
    const tb = $('jobs-table').tBodies[0];
    tb.textContent = '';
    r.data.items.forEach((j) => {
      const tr = row(jobCells(j));
      tr.id = 'job-' + j.id;
      tb.append(tr);
    });
    pager('jobs', r.data.total);
  }

  function onJobEvent(d) {
    if (current === 'jobs') loadJobs();
    status('Job ' + d.id + ': ' + d.state + (d.evaluated ? ', ' + d.evaluated + ' pipelines' : '') +
      (d.best_score != null ? ', best ' + Number(d.best_score).toFixed(4) : ''));
  }

  // ------------------------------------------------------------ live events
  async function startEvents() {
    eventsAbort = new AbortController();
    const live = $('live');
    try {
      const res = await fetch('/events', { headers: { 'Authorization': auth, 'X-Requested-With': 'automl-dashboard' }, signal: eventsAbort.signal });
      if (!res.ok) throw new Error('status ' + res.status);
      live.textContent = 'live'; live.className = 'badge on';
      const reader = res.body.getReader();
      const dec = new TextDecoder();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i); buf = buf.slice(i + 2);
          const lines = block.split('\n');
          const kind = (lines.find((l) => l.startsWith('event: ')) || 'event: deployment').slice(7);
          const data = lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
          if (data && kind === 'job') onJobEvent(JSON.parse(data));
          else if (data) onEvent(JSON.parse(data));
        }
      }
    } catch (e) {
      if (eventsAbort.signal.aborted) return;
    }
    live.textContent = 'offline'; live.className = 'badge';
    if (user) setTimeout(startEvents, 2000);
  }

  function onEvent(d) {
    setState(d);
    const tr = document.getElementById('dep-' + d.id);
    if (tr) { tr.children[4].textContent = ''; tr.children[4].append(stateBadge(d.state)); tr.children[7].textContent = d.last_error || ''; }
    else if (current === 'deployments' && offsets.deployments === 0) loadDeployments();
    status('Deployment ' + d.id + ' of ' + d.app + '/' + d.config + ': ' + d.state);
  }
})();
