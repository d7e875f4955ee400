// diffusion4j serve: the page. Plain JS, no build step, no network beyond this server.
'use strict';
const params = new URLSearchParams(location.search);
const $ = (id) => document.getElementById(id);
const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

function showError(msg) {
  const e = $('error');
  e.textContent = msg;
  e.hidden = !msg;
}

// The server's secret token comes in the address serve prints (?token=...), is kept for this tab
// and goes with every API request in a header that other sites' pages cannot send.
const TOKEN = params.get('token') || sessionStorage.getItem('diffusion4j-token') || '';
sessionStorage.setItem('diffusion4j-token', TOKEN);
params.delete('token');

async function request(url, options) {
  const o = Object.assign({}, options);
  o.headers = Object.assign({ 'X-Diffusion4j-Token': TOKEN }, o.headers);
  const r = await fetch(url, o);
  if (!r.ok) {
    const text = (await r.text()).trim();
    if (!(o.quiet)) showError(text);
    const e = new Error(text);
    e.status = r.status;
    throw e;
  }
  if (!o.quiet) showError('');
  return r;
}

// JSON, where the server may write Infinity or NaN (SNR at t = 0): those become null.
async function api(url, options) {
  const text = await (await request(url, options)).text();
  try {
    return JSON.parse(text);
  } catch (e) {
    return JSON.parse(text.replace(/([:,[]\s*)(-?Infinity|NaN)(?=\s*[,}\]])/g, '$1null'));
  }
}

// An image or file from the API as an object URL (an <img src> or a link cannot send the header).
async function blobUrl(url, old) {
  const u = URL.createObjectURL(await (await request(url)).blob());
  if (old && old.startsWith('blob:')) URL.revokeObjectURL(old);
  return u;
}

// Server-sent events over an XMLHttpRequest, which can send the header (EventSource cannot) and
// stays one pending load until the job ends (a streamed fetch does not, for headless Chromium's
// virtual time). Calls onEvent with each JSON state; returns the request, to abort().
function followEvents(url, onEvent) {
  const x = new XMLHttpRequest();
  let used = 0;
  const read = () => {
    let end;
    while ((end = x.responseText.indexOf('\n\n', used)) >= 0) {
      for (const line of x.responseText.slice(used, end).split('\n')) if (line.startsWith('data: ')) onEvent(JSON.parse(line.slice(6)));
      used = end + 2;
    }
  };
  x.open('GET', url);
  x.setRequestHeader('X-Diffusion4j-Token', TOKEN);
  x.onprogress = read;
  x.onload = () => { if (x.status === 200) read(); else showError(x.responseText.trim()); };
  x.send();
  return x;
}

// Forms only hold controls; Enter must not submit them (and the page's policy allows no form actions).
document.querySelectorAll('form').forEach((f) => f.addEventListener('submit', (e) => e.preventDefault()));

function fill(select, items, wanted) {
  select.innerHTML = '';
  for (const m of items) {
    const o = document.createElement('option');
    o.value = m.id;
    o.textContent = m.label || m.id;
    select.appendChild(o);
  }
  if (wanted && items.some((m) => m.id === wanted)) select.value = wanted;
}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const k in attrs || {}) {
    if (k === 'class') e.className = attrs[k]; else if (k.startsWith('on')) e.addEventListener(k.slice(2), attrs[k]); else e.setAttribute(k, attrs[k]);
  }
  for (const c of children) e.append(c);
  return e;
}

function seconds(s) {
  if (s === undefined || s === null || !isFinite(s)) return '';
  return s < 60 ? Math.max(1, Math.round(s)) + ' s' : Math.floor(s / 60) + ' min ' + Math.round(s % 60) + ' s';
}

// ---- charts: real ticks (1e-4, 2e-4 ...; 0, 0.5, 1 ...), one axis on each side ----

// Round numbers from lo to hi, about count of them: steps of 1, 2 or 5 times a power of ten.
function niceTicks(lo, hi, count) {
  const span = hi - lo || Math.abs(hi) || 1;
  const raw = span / count, mag = Math.pow(10, Math.floor(Math.log10(raw))), f = raw / mag;
  const step = (f >= 7.5 ? 10 : f >= 3.5 ? 5 : f >= 1.5 ? 2 : 1) * mag;
  const ticks = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

// Ticks of a log axis over [lo, hi] (values, not logs): powers of ten, and 2 and 5 times them when few.
function logTicks(lo, hi) {
  const a = Math.floor(Math.log10(lo)), b = Math.ceil(Math.log10(hi));
  let ticks = [];
  for (let e = a; e <= b; e++) ticks.push(Math.pow(10, e));
  if (ticks.filter((v) => v >= lo && v <= hi).length < 3) {
    ticks = [];
    for (let e = a; e <= b; e++) for (const m of [1, 2, 5]) ticks.push(m * Math.pow(10, e));
  }
  const inside = ticks.filter((v) => v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9));
  return inside.length > 8 ? inside.filter((v) => Number(v.toExponential(0)[0]) === 1) : inside;
}

function tickLabel(v, log) {
  if (v === 0) return '0';
  const exp = Math.floor(Math.log10(Math.abs(v)) + 1e-9);
  if (exp >= -2 && exp <= 3) return String(Number(v.toPrecision(log ? 1 : 4)));
  const m = Number((v / Math.pow(10, exp)).toPrecision(log ? 1 : 3));
  return m + 'e' + exp;
}

// A line chart on a canvas. series: [{x, y, color, axis: 'left'|'right', width, alpha}]; opts: {left:
// {log, min, max}, right: {...}, xLabel, marker}. Keeps the x mapping on the canvas for read-outs.
function chart(canvas, series, opts) {
  const g = canvas.getContext('2d');
  const W = canvas.width, H = canvas.height, L = 52, R = opts.right ? 52 : 12, T = 10, B = 34;
  g.clearRect(0, 0, W, H);
  g.font = '11px sans-serif';
  const xs = series.flatMap((s) => s.x);
  if (!xs.length) return;
  const x0 = Math.min(...xs), x1 = Math.max(...xs);
  const px = (x) => L + (W - L - R) * (x - x0) / ((x1 - x0) || 1);
  canvas._x = { x0: x0, x1: x1, L: L, R: R, W: W };
  g.fillStyle = '#333';
  g.strokeStyle = '#eee';
  g.textAlign = 'center';
  for (const v of niceTicks(x0, x1, 6)) {
    g.beginPath(); g.moveTo(px(v), T); g.lineTo(px(v), H - B); g.stroke();
    g.fillText(Number.isInteger(v) ? String(v) : tickLabel(v, false), px(v), H - B + 13);
  }
  g.fillText(opts.xLabel || '', (L + W - R) / 2, H - 4);
  const axes = [];
  for (const side of ['left', 'right']) {
    const ax = opts[side];
    if (!ax) continue;
    const mine = series.filter((s) => (s.axis || 'left') === side);
    const f = ax.log ? (v) => Math.log10(v) : (v) => v;
    const ok = (v) => v !== null && isFinite(v) && (!ax.log || v > 0);
    const vals = mine.flatMap((s) => s.y.filter(ok));
    if (!vals.length) continue;
    let lo = ax.min !== undefined ? ax.min : Math.min(...vals), hi = ax.max !== undefined ? ax.max : Math.max(...vals);
    if (lo === hi) { lo = ax.log ? lo / 2 : lo - 1; hi = ax.log ? hi * 2 : hi + 1; }
    const py = (v) => T + (H - T - B) * (1 - (f(v) - f(lo)) / ((f(hi) - f(lo)) || 1));
    g.textAlign = side === 'left' ? 'right' : 'left';
    g.fillStyle = mine.length === 1 || side === 'right' ? mine[0].color : '#333';
    const labels = [];
    for (const v of ax.log ? logTicks(lo, hi) : niceTicks(lo, hi, 5)) {
      if (side === 'left') { g.strokeStyle = '#eee'; g.beginPath(); g.moveTo(L, py(v)); g.lineTo(W - R, py(v)); g.stroke(); }
      labels.push(tickLabel(v, ax.log));
      g.fillText(labels[labels.length - 1], side === 'left' ? L - 4 : W - R + 4, py(v) + 4);
    }
    // the axis in words, for screen readers (and the page's tests)
    axes.push(side + ' axis' + (ax.log ? ', log scale' : '') + ': ' + labels.join(' '));
    for (const s of mine) {
      g.strokeStyle = s.color;
      g.globalAlpha = s.alpha || 1;
      g.lineWidth = s.width || 1.5;
      g.beginPath();
      let started = false;
      s.x.forEach((x, i) => {
        const v = s.y[i];
        if (!ok(v)) { started = false; return; }
        const yy = Math.max(T, Math.min(H - B, py(v)));
        if (started) g.lineTo(px(x), yy); else { g.moveTo(px(x), yy); started = true; }
      });
      g.stroke();
      g.globalAlpha = 1;
    }
  }
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', axes.join('; '));
  g.strokeStyle = '#999';
  g.lineWidth = 1;
  g.strokeRect(L, T, W - L - R, H - T - B);
  if (opts.marker !== undefined && opts.marker !== null) {
    g.strokeStyle = '#d62728';
    g.setLineDash([4, 3]);
    g.beginPath();
    g.moveTo(px(opts.marker), T);
    g.lineTo(px(opts.marker), H - B);
    g.stroke();
    g.setLineDash([]);
  }
}

// The x value under the pointer of a chart drawn by chart().
function chartX(canvas, ev) {
  const m = canvas._x, b = canvas.getBoundingClientRect();
  if (!m) return null;
  const x = (ev.clientX - b.left) * canvas.width / b.width;
  return m.x0 + (m.x1 - m.x0) * Math.max(0, Math.min(1, (x - m.L) / (m.W - m.L - m.R)));
}

// Pictures come at their pixel size (a 28x28 digit drawn 2x): show small ones larger, crisp.
document.querySelectorAll('img').forEach((img) => img.addEventListener('load', () => {
  const w = img.naturalWidth;
  img.style.width = (w < 150 ? 2 * w : w) + 'px';
}));

// ---- views and the address: the settings of the view shown, never the token ----
let current = 'draw';
function show(view) {
  current = view;
  document.querySelectorAll('.view').forEach((v) => v.classList.toggle('active', v.id === view));
  document.querySelectorAll('nav button').forEach((b) => b.classList.toggle('active', b.dataset.view === view));
  if (view === 'forward') forwardInit();
  if (view === 'vae') vaeInit();
  if (view === 'runs') runsInit();
  saveUrl();
}
document.querySelectorAll('nav button').forEach((b) => b.addEventListener('click', () => show(b.dataset.view)));

// Writes the view's settings into the address bar, so that the address can be bookmarked or shared.
function saveUrl() {
  const q = new URLSearchParams();
  q.set('view', current);
  if (current === 'draw' && drawReady) for (const [k, v] of drawValues(true)) q.set(k, v);
  if (current === 'forward') {
    q.set('model', $('fwd-model').value);
    q.set('index', $('fwd-index').value);
    q.set('t', $('fwd-t').value);
    q.set('seed', $('fwd-seed').value || '0');
  }
  if (current === 'vae' && $('vae-model').value) q.set('vae', $('vae-model').value);
  if (current === 'runs') {
    if ($('runs-run').value) q.set('run', $('runs-run').value);
    const shown = runsShown();
    if (shown.length) q.set('runs', shown.join(','));
    q.set('smooth', $('runs-smooth').value);
  }
  const u = new URL(location.href);
  u.search = q.toString();
  history.replaceState(null, '', u);
  $('draw-link').href = u.toString();
}

let models = { ddpm: [], vae: [] };
// ---- Draw ----
let job = null, source = null; // job: {id, n, shape}; source: the request that follows its events
let drawReady = false;
let optionList = [];

function optionControl(o) {
  const label = el('label', { title: o.description }, o.name + ' ');
  let input;
  if (o.type === 'choice') {
    input = el('select');
    input.appendChild(el('option', { value: '' }, o.defaultValue ? o.defaultValue : '(default)'));
    for (const c of o.choices) input.appendChild(el('option', { value: c }, c));
  } else if (o.type === 'boolean') {
    input = el('input', { type: 'checkbox' });
    input.checked = o.defaultValue === 'true';
  } else {
    input = el('input', { type: o.type === 'text' ? 'text' : 'number', placeholder: o.defaultValue == null ? 'default' : o.defaultValue });
    if (o.type === 'number') input.step = 'any';
  }
  input.name = o.name;
  input.dataset.type = o.type;
  input.dataset.default = o.defaultValue == null ? '' : o.defaultValue;
  // class and guidance mean something only to a class-conditional model
  if (o.name === 'class' || o.name === 'guidance') label.dataset.conditional = '';
  // help inline: the option's own help, from the sample command, under the controls
  const help = () => { $('draw-help').textContent = o.name + ': ' + o.description; };
  label.addEventListener('mouseenter', help);
  input.addEventListener('focus', help);
  label.appendChild(input);
  return label;
}

// Puts settings (name to value; missing ones: the default) into the controls.
function setDrawValues(get) {
  if (get('model') && models.ddpm.some((m) => m.id === get('model'))) $('draw-model').value = get('model');
  for (const input of $('draw-options').querySelectorAll('input, select')) {
    // the page draws 16 by default (sample's 64 is for files)
    const v = get(input.name) !== null && get(input.name) !== undefined ? get(input.name) : (input.name === 'n' ? '16' : null);
    if (input.dataset.type === 'boolean') input.checked = v !== null ? v === 'true' : input.dataset.default === 'true';
    else input.value = v !== null ? v : '';
  }
  $('sweep-vary').value = get('vary') || '';
  $('sweep-values').value = get('values') || '';
  $('sweep-values-label').hidden = !$('sweep-vary').value;
}

async function drawInit() {
  const opts = await api('/api/options');
  optionList = opts.options;
  const box = $('draw-options');
  for (const o of optionList) box.appendChild(optionControl(o));
  for (const o of optionList) if (o.name !== 'n' && o.name !== 'seed') $('sweep-vary').appendChild(el('option', { value: o.name }, o.name));
  fill($('draw-model'), models.ddpm);
  setDrawValues((k) => params.get(k));
  drawReady = true;
  drawModel();
  historyRender();
}

// Shows the class and guidance controls for a class-conditional model only (they would be refused).
function drawModel() {
  const m = models.ddpm.find((d) => d.id === $('draw-model').value);
  const conditional = !!m && m.classes > 0;
  for (const e of $('draw-options').querySelectorAll('[data-conditional]')) {
    e.hidden = !conditional;
    const input = e.querySelector('input, select');
    if (!conditional && input) input.value = '';
  }
  for (const o of $('sweep-vary').options) if (o.value === 'class' || o.value === 'guidance') o.hidden = !conditional;
  if (!conditional && ($('sweep-vary').value === 'class' || $('sweep-vary').value === 'guidance')) $('sweep-vary').value = '';
  $('draw-class-note').textContent = conditional ? 'class 0-' + (m.classes - 1) + '; guidance w: 0 is unguided, higher follows the class more strictly' : '';
  drawChanged();
}
$('draw-model').addEventListener('change', drawModel);

// The request's values; forUrl: as the address keeps them (no defaults of booleans).
function drawValues(forUrl) {
  const body = new URLSearchParams();
  body.set('model', $('draw-model').value);
  for (const e of $('draw-options').querySelectorAll('input, select')) {
    if (e.closest('label').hidden) continue;
    if (e.dataset.type === 'boolean') {
      const v = e.checked ? 'true' : 'false';
      if (!forUrl || v !== e.dataset.default) body.set(e.name, v);
    } else if (e.value !== '') body.set(e.name, e.value);
  }
  if ($('sweep-vary').value) {
    body.set('vary', $('sweep-vary').value);
    body.set('values', $('sweep-values').value);
  }
  return body;
}

// What the settings resolve to (the server's own parsing, defaults filled in) and how long they should take.
let resolveTimer = null;
function drawChanged() {
  if (!drawReady) return;
  $('sweep-values-label').hidden = !$('sweep-vary').value;
  saveUrl();
  clearTimeout(resolveTimer);
  resolveTimer = setTimeout(resolve, 150);
}
async function resolve() {
  const line = $('draw-resolved');
  try {
    const r = await api('/api/resolve?' + drawValues(false), { quiet: true });
    const eta = r.estimate !== undefined ? 'about ' + seconds(r.estimate) : 'the time it takes shows after the first draw of this model';
    const wait = r.wait > 0.5 ? ', after about ' + seconds(r.wait) + ' of waiting' : '';
    line.textContent = 'will draw ' + r.n + (r.rows.length > 1 ? ' per row: ' : ': ') + r.description + '; ' + eta + wait;
    line.classList.remove('bad');
  } catch (e) {
    line.textContent = 'will not draw: ' + e.message;
    line.classList.add('bad');
  }
}
$('draw-form').addEventListener('input', drawChanged);
$('draw-form').addEventListener('change', drawChanged);
$('sweep-vary').addEventListener('mouseenter', () => { $('draw-help').textContent = 'sweep: the same seed and settings, one of them (sampler, steps, guidance, ...) taking each value given after "over" (separated by commas), drawn as one grid, a row per value.'; });

async function draw() {
  if (source) source.abort();
  scrubStop();
  $('draw-png').hidden = $('draw-npy').hidden = true;
  const values = drawValues(false);
  const j = await api('/api/jobs', { method: 'POST', body: values }).catch(() => null);
  if (!j) return;
  const m = models.ddpm.find((d) => d.id === j.model);
  job = { id: j.id, n: j.n, shape: m ? m.shape : null, sweep: !!j.rows, settings: Object.fromEntries(values), started: j };
  traj.job = null;
  $('scrub').hidden = true;
  $('draw-click').hidden = true;
  $('draw-cancel').disabled = false;
  $('draw-status').textContent = 'queued';
  $('draw-command').textContent = j.command || '';
  const mine = source = followEvents('/api/jobs/' + j.id + '/events', (s) => drawEvent(s, mine));
  queueRefresh();
}

function drawEvent(s, mine) {
  if (source !== mine) return;
  if (s.xt && traj.job === null) { $('draw-xt').src = s.xt; $('draw-x0').src = s.x0Hat; }
  $('draw-progress').max = s.count;
  $('draw-progress').value = s.step;
  const time = s.seconds.toFixed(1) + ' s';
  if (s.state === 'queued') {
    $('draw-status').textContent = 'waiting: place ' + s.position + ' in the queue' + (s.estimate !== undefined ? ', then about ' + seconds(s.estimate) : '');
  } else if (s.state === 'running') {
    $('draw-status').textContent = 'step ' + s.step + ' of ' + s.count + ' (t = ' + s.t + '), ' + time
      + (s.remaining !== undefined ? ', about ' + seconds(s.remaining) + ' left' : '') + ' - ' + s.description;
  } else {
    $('draw-cancel').disabled = true;
    if (s.state === 'done') {
      $('draw-grid').src = s.grid;
      $('draw-png').href = s.grid;
      blobUrl(s.npyUrl, $('draw-npy').href).then((u) => { if (source === mine) { $('draw-npy').href = u; $('draw-npy').hidden = false; } }).catch(() => {});
      $('draw-png').hidden = false;
      $('draw-status').textContent = 'done: ' + (s.rows ? s.rows.length + ' rows of ' : '') + s.n + ' samples in ' + time + ' (' + s.description + ')';
      historyAdd({ id: s.id, when: new Date().toISOString(), model: s.model, settings: job.settings, description: s.description,
        command: s.command, grid: s.grid, seconds: s.seconds, n: s.n });
      if (s.frames > 0) scrubLoad(s.id, -1);
      resolve(); // the model's pace is known now
    } else {
      $('draw-status').textContent = s.state + (s.error ? ': ' + s.error : '');
    }
    document.body.dataset.drawState = s.state;
    queueRefresh();
  }
}
$('draw-go').addEventListener('click', draw);
$('draw-cancel').addEventListener('click', () => { if (job) cancelJob(job.id); });

function cancelJob(id) {
  request('/api/jobs/' + id, { method: 'DELETE' }).catch(() => {}).then(queueRefresh);
}

// ---- the job list: every job of this server, with its place, ETA and Cancel ----
let queueBusy = false;
async function queueRefresh() {
  if (queueBusy) return;
  queueBusy = true;
  try {
    const r = await api('/api/queue', { quiet: true });
    const body = $('queue').tBodies[0];
    body.innerHTML = '';
    for (const j of r.jobs) {
      let state = j.state;
      if (j.state === 'queued') state = 'place ' + j.position + (j.startsIn !== undefined ? ', starts in about ' + seconds(j.startsIn) : '');
      if (j.state === 'running') state = 'step ' + j.step + ' of ' + j.count + (j.remaining !== undefined ? ', about ' + seconds(j.remaining) + ' left' : '');
      if (j.state === 'done') state = 'done in ' + seconds(j.seconds);
      const cancel = j.state === 'queued' || j.state === 'running'
        ? el('button', { type: 'button', onclick: () => cancelJob(j.id) }, j.cancelling ? 'cancelling' : 'Cancel') : '';
      const row = el('tr', { class: job && job.id === j.id ? 'mine' : '', 'data-state': j.state },
        el('td', {}, state), el('td', { class: 'desc', title: j.command || '' }, j.model + ': ' + j.description), el('td', {}, cancel));
      body.appendChild(row);
    }
    $('queue-empty').hidden = r.jobs.length > 0;
  } catch (e) { /* the next refresh tries again */ }
  queueBusy = false;
}
setInterval(() => { if (current === 'draw' && drawReady && !document.hidden) queueRefresh(); }, 2000);

// ---- the trajectory: every frame kept, played back, one sample's own, as a GIF ----
let traj = { job: null, frames: [], sample: -1, timer: null, count: 0 };

async function scrubLoad(id, sample) {
  const r = await api('/api/jobs/' + id + '/frames' + (sample >= 0 ? '?sample=' + sample : ''), { quiet: true }).catch(() => null);
  if (!r || !r.frames.length || (job && job.id !== id)) return;
  traj = { job: id, frames: r.frames, sample: sample, timer: null, count: r.frames[r.frames.length - 1].step };
  $('scrub').hidden = false;
  $('scrub-pos').max = r.frames.length - 1;
  $('scrub-pos').value = r.frames.length - 1;
  $('scrub-all').hidden = sample < 0;
  $('draw-click').hidden = sample >= 0;
  scrubShow();
}

function scrubShow() {
  const i = Number($('scrub-pos').value), f = traj.frames[i];
  if (!f) return;
  $('draw-xt').src = f.xt;
  $('draw-x0').src = f.x0Hat;
  $('scrub-label').textContent = 'frame ' + (i + 1) + ' of ' + traj.frames.length + ': after ' + f.step + ' of ' + traj.count
    + ' steps, t = ' + f.t + (traj.sample >= 0 ? ', sample ' + traj.sample : ', all samples');
}

function scrubStop() {
  if (traj.timer) clearInterval(traj.timer);
  traj.timer = null;
  $('scrub-play').textContent = 'play';
}

$('scrub-pos').addEventListener('input', () => { scrubStop(); scrubShow(); });
$('scrub-play').addEventListener('click', () => {
  if (traj.timer) { scrubStop(); return; }
  const pos = $('scrub-pos');
  if (Number(pos.value) >= Number(pos.max)) pos.value = 0;
  $('scrub-play').textContent = 'pause';
  traj.timer = setInterval(() => {
    if (Number(pos.value) >= Number(pos.max)) { scrubStop(); return; }
    pos.value = Number(pos.value) + 1;
    scrubShow();
  }, 150);
});
$('scrub-all').addEventListener('click', () => scrubLoad(traj.job, -1));
$('scrub-gif').addEventListener('click', async (ev) => {
  ev.preventDefault();
  if (!traj.job) return;
  const name = traj.job + (traj.sample >= 0 ? '-sample-' + traj.sample : '') + '.gif';
  const u = await blobUrl('/api/jobs/' + traj.job + '/trajectory.gif' + (traj.sample >= 0 ? '?sample=' + traj.sample : '')).catch(() => null);
  if (!u) return;
  const a = el('a', { href: u, download: name });
  document.body.appendChild(a);
  a.click();
  a.remove();
});

// A click on a grid of all samples (the result, x_t or x0Hat) picks that sample's own denoising.
function pickSample(ev) {
  const img = ev.currentTarget;
  if (!traj.job || traj.sample >= 0 || !job || !job.shape || job.sweep) return;
  const b = img.getBoundingClientRect(), h = job.shape[1], w = job.shape[2];
  const x = (ev.clientX - b.left) * img.naturalWidth / b.width, y = (ev.clientY - b.top) * img.naturalHeight / b.height;
  const cols = Math.ceil(Math.sqrt(job.n));
  const col = Math.floor((x - 2) / (2 * w + 2)), row = Math.floor((y - 2) / (2 * h + 2));
  const k = row * cols + col;
  if (col >= 0 && col < cols && row >= 0 && k < job.n) { scrubStop(); scrubLoad(traj.job, k); }
}
for (const id of ['draw-grid', 'draw-xt', 'draw-x0']) $(id).addEventListener('click', pickSample);

// ---- history: the draws of this browser, with their settings, compared side by side ----
const HISTORY_KEY = 'diffusion4j-history';
function historyLoad() {
  try { return JSON.parse(localStorage.getItem(HISTORY_KEY)) || []; } catch (e) { return []; }
}
function historySave(list) {
  // the browser keeps a few MB per site: the oldest go first when it is full
  while (list.length) {
    try { localStorage.setItem(HISTORY_KEY, JSON.stringify(list)); return; } catch (e) { list.pop(); }
  }
  localStorage.removeItem(HISTORY_KEY);
}
function historyAdd(entry) {
  const list = historyLoad().filter((h) => h.id !== entry.id);
  list.unshift(entry);
  historySave(list.slice(0, 24));
  historyRender();
}
const compared = new Set();
function historyRender() {
  const box = $('history'), list = historyLoad();
  box.innerHTML = '';
  if (!list.length) box.appendChild(el('span', { class: 'note' }, 'Draws of this browser appear here, with their settings.'));
  for (const h of list) {
    const tick = el('input', { type: 'checkbox', title: 'compare' });
    tick.checked = compared.has(h.id);
    tick.addEventListener('change', () => { if (tick.checked) compared.add(h.id); else compared.delete(h.id); $('history-compare').disabled = compared.size < 2; });
    const use = el('button', { type: 'button', title: 'put these settings into the controls' }, 'use');
    use.addEventListener('click', () => { setDrawValues((k) => (k in h.settings ? h.settings[k] : null)); drawModel(); });
    box.appendChild(el('figure', { class: 'hist', title: h.command || '' }, el('img', { src: h.grid, alt: '' }),
      el('figcaption', {}, tick, ' ', h.model + ', ' + seconds(h.seconds) + ' ', use, el('br'), h.description)));
  }
  $('history-compare').disabled = compared.size < 2;
}
$('history-compare').addEventListener('click', () => {
  const chosen = historyLoad().filter((h) => compared.has(h.id));
  const keys = [...new Set(chosen.flatMap((h) => Object.keys(h.settings)))];
  const box = $('compare');
  box.innerHTML = '';
  for (const h of chosen) {
    const rows = keys.map((k) => {
      const differs = new Set(chosen.map((c) => c.settings[k] === undefined ? '' : c.settings[k])).size > 1;
      return el('tr', { class: differs ? 'differs' : '' }, el('td', {}, k), el('td', {}, h.settings[k] === undefined ? '(default)' : h.settings[k]));
    });
    box.appendChild(el('figure', {}, el('figcaption', {}, h.description + ', ' + seconds(h.seconds)), el('img', { src: h.grid, alt: '' }),
      el('table', { class: 'settings' }, el('tbody', {}, ...rows))));
  }
  box.scrollIntoView();
});
$('history-clear').addEventListener('click', () => { localStorage.removeItem(HISTORY_KEY); compared.clear(); $('compare').innerHTML = ''; historyRender(); });

// ---- Forward process ----
let fwd = { ready: false, schedule: null, source: null, busy: false, again: false, timer: null };

async function forwardInit() {
  if (fwd.ready) return;
  fwd.ready = true;
  fill($('fwd-model'), models.ddpm.filter((m) => m.image), params.get('model'));
  if (params.get('index')) $('fwd-index').value = params.get('index');
  if (params.get('t')) $('fwd-t').value = params.get('t');
  if (params.get('seed')) $('fwd-seed').value = params.get('seed');
  await forwardModel();
}

async function forwardModel() {
  fwd.schedule = await api('/api/schedule?model=' + encodeURIComponent($('fwd-model').value));
  $('fwd-t').max = fwd.schedule.T;
  await forwardUpdate();
}

async function forwardUpdate() {
  if (fwd.busy) { fwd.again = true; return; }
  fwd.busy = true;
  const t = Number($('fwd-t').value);
  $('fwd-t-label').textContent = t;
  const predict = $('fwd-predict').checked;
  const q = new URLSearchParams({ model: $('fwd-model').value, t: t, seed: $('fwd-seed').value || '0', predict: predict });
  if (fwd.source) q.set('source', fwd.source); else q.set('index', $('fwd-index').value || '0');
  saveUrl();
  try {
    const r = await api('/api/forward?' + q);
    $('fwd-x0').src = r.x0;
    $('fwd-xt').src = r.xt;
    $('fwd-eps').src = r.eps;
    $('fwd-x0-label').textContent = 'x_0: ' + r.label;
    $('fwd-snr').textContent = 't = ' + r.t + ' of ' + r.T + ', alphaBar_t = ' + r.alphaBar.toPrecision(4)
      + ', SNR = ' + (r.snr === null || !isFinite(r.snr) ? 'infinite' : r.snr.toPrecision(4) + ' (' + (10 * Math.log10(r.snr)).toFixed(1) + ' dB)');
    document.querySelectorAll('#forward .predicted').forEach((f) => { f.hidden = !r.epsHat; });
    if (r.epsHat) {
      $('fwd-epshat').src = r.epsHat;
      $('fwd-x0hat').src = r.x0Hat;
      $('fwd-mse').textContent = 'mean (eps - eps_theta)^2 = ' + r.epsMse.toPrecision(3);
    }
    const ab = fwd.schedule.alphaBar, x = ab.map((_, i) => i);
    chart($('fwd-curve'), [
      { x: x, y: ab, color: COLORS[0] },
      { x: x.slice(1), y: ab.slice(1).map((a) => a / (1 - a)), color: COLORS[1], axis: 'right' }],
    { left: { min: 0, max: 1 }, right: { log: true }, marker: t, xLabel: 't' });
  } catch (e) { forwardStop(); /* shown */ }
  fwd.busy = false;
  if (fwd.again) { fwd.again = false; forwardUpdate(); }
}

// Play: t from where it is (from 0 at the end) to T in about 50 frames, each shown before the next is asked for.
function forwardStop() {
  if (fwd.timer) clearTimeout(fwd.timer);
  fwd.timer = null;
  $('fwd-play').textContent = 'play';
}
async function forwardPlay() {
  const s = $('fwd-t'), T = Number(s.max);
  if (Number(s.value) >= T) { forwardStop(); return; }
  s.value = Math.min(T, Number(s.value) + Math.max(1, Math.round(T / 50)));
  await forwardUpdate();
  if (fwd.timer) fwd.timer = setTimeout(forwardPlay, 80);
}
$('fwd-play').addEventListener('click', () => {
  if (fwd.timer) { forwardStop(); return; }
  if (Number($('fwd-t').value) >= Number($('fwd-t').max)) $('fwd-t').value = 0;
  $('fwd-play').textContent = 'pause';
  fwd.timer = setTimeout(forwardPlay, 0);
});
$('fwd-t').addEventListener('input', forwardUpdate);
$('fwd-seed').addEventListener('change', forwardUpdate);
$('fwd-predict').addEventListener('change', forwardUpdate);
$('fwd-index').addEventListener('change', () => { fwd.source = null; forwardUpdate(); });
$('fwd-model').addEventListener('change', () => { fwd.source = null; forwardModel(); });
$('fwd-upload').addEventListener('change', async () => {
  const f = $('fwd-upload').files[0];
  if (!f) return;
  const r = await api('/api/upload?model=' + encodeURIComponent($('fwd-model').value), { method: 'POST', body: f }).catch(() => null);
  if (r) { fwd.source = r.source; forwardUpdate(); }
});

// ---- VAE ----
let vae = { ready: false, plane: null, busy: false, pending: null };

function vaeQuery(extra) {
  const q = new URLSearchParams({ model: $('vae-model').value, class: $('vae-class').value || '0' });
  for (const k in extra) q.set(k, extra[k]);
  return q;
}

async function vaeInit() {
  if (vae.ready) return;
  vae.ready = true;
  fill($('vae-model'), models.vae, params.get('vae'));
  await vaeModel();
}

async function vaeModel() {
  const m = models.vae.find((v) => v.id === $('vae-model').value);
  if (!m) { $('vae-plane-note').textContent = 'no VAE to show: pass one with --model'; return; }
  $('vae-class-label').hidden = !m.conditional;
  $('vae-class').max = Math.max(0, m.classes - 1);
  vaeSample();
  vaeRecon();
  const p = await api('/api/vae/latent?' + vaeQuery({}));
  vae.plane = p;
  $('vae-plane-note').textContent = p.latent === 2
    ? 'This VAE has a 2-D latent: the square below is the whole latent space.'
    : 'This VAE has a ' + p.latent + '-D latent, so no 2-D picture shows all of it: the square is the plane of latent dimensions '
      + p.dims[0] + ' and ' + p.dims[1] + ', the two most active (largest variance of mu over the test digits), '
      + 'each over its mean +- 3 standard deviations, with the other ' + (p.latent - 2) + ' dimensions held at the mean of mu.'
      + (m.autoregressive ? ' This decoder draws pixel by pixel: decoding is slow.' : '');
  const centre = [(p.lo[0] + p.hi[0]) / 2, (p.lo[1] + p.hi[1]) / 2];
  vaeScatter(centre);
  vaeDecode(centre);
  const leg = $('vae-legend');
  leg.innerHTML = '';
  COLORS.forEach((c, i) => { const s = document.createElement('span'); s.style.color = c; s.textContent = '\u25cf ' + i; leg.appendChild(s); });
  const mf = await api('/api/vae/manifold?' + vaeQuery({ side: 12 }));
  $('vae-manifold').src = mf.image;
}

function vaeScatter(pointer) {
  const p = vae.plane, c = $('vae-scatter'), g = c.getContext('2d');
  g.clearRect(0, 0, c.width, c.height);
  const sx = (v) => c.width * (v - p.lo[0]) / (p.hi[0] - p.lo[0]);
  const sy = (v) => c.height * (1 - (v - p.lo[1]) / (p.hi[1] - p.lo[1]));
  for (let i = 0; i < p.labels.length; i++) {
    g.fillStyle = COLORS[p.labels[i] % 10];
    g.fillRect(sx(p.points[2 * i]) - 1.5, sy(p.points[2 * i + 1]) - 1.5, 3, 3);
  }
  g.strokeStyle = '#999';
  g.strokeRect(0, 0, c.width, c.height);
  if (pointer) {
    g.strokeStyle = '#000';
    g.beginPath();
    g.arc(sx(pointer[0]), sy(pointer[1]), 6, 0, 2 * Math.PI);
    g.stroke();
  }
}

async function vaeDecode(z) {
  if (vae.busy) { vae.pending = z; return; }
  vae.busy = true;
  try {
    const r = await api('/api/vae/decode?' + vaeQuery({ z1: z[0], z2: z[1] }));
    $('vae-hover').src = r.image;
    $('vae-z').textContent = 'z' + vae.plane.dims[0] + ' = ' + z[0].toFixed(2) + ', z' + vae.plane.dims[1] + ' = ' + z[1].toFixed(2);
  } catch (e) { /* shown */ }
  vae.busy = false;
  if (vae.pending) { const next = vae.pending; vae.pending = null; vaeDecode(next); }
}

$('vae-scatter').addEventListener('mousemove', (ev) => {
  const p = vae.plane;
  if (!p) return;
  const c = $('vae-scatter'), b = c.getBoundingClientRect();
  const z = [p.lo[0] + (p.hi[0] - p.lo[0]) * (ev.clientX - b.left) / b.width,
    p.hi[1] - (p.hi[1] - p.lo[1]) * (ev.clientY - b.top) / b.height];
  vaeScatter(z);
  vaeDecode(z);
});

async function vaeSample() {
  const r = await api('/api/vae/sample?' + vaeQuery({ n: $('vae-n').value, seed: $('vae-seed').value || '0' })).catch(() => null);
  if (r) $('vae-samples').src = r.image;
}

async function vaeRecon() {
  const r = await api('/api/vae/reconstruct?' + vaeQuery({ index: $('vae-index').value || '0' })).catch(() => null);
  if (r) { $('vae-x').src = r.x; $('vae-r').src = r.recon; }
}
$('vae-sample').addEventListener('click', vaeSample);
$('vae-recon').addEventListener('click', vaeRecon);
$('vae-model').addEventListener('change', () => { saveUrl(); vaeModel(); });

// ---- Runs ----
let runs = { ready: false, list: [], samples: [], metrics: {}, hover: null };
const PLOTS = ['runs-loss', 'runs-lr', 'runs-grad', 'runs-ms'];

// The runs plotted: those ticked, in the order listed.
function runsShown() {
  return [...document.querySelectorAll('#runs-list input:checked')].map((c) => c.value);
}

function runColor(id) {
  return COLORS[runs.list.findIndex((r) => r.id === id) % COLORS.length];
}

async function runsInit() {
  if (runs.ready) return;
  runs.ready = true;
  if (params.get('smooth')) $('runs-smooth').value = params.get('smooth');
  $('runs-smooth-label').textContent = $('runs-smooth').value;
  const r = await api('/api/runs');
  runs.list = r.runs;
  fill($('runs-run'), r.runs.map((x) => ({ id: x.id, label: x.id })), params.get('run'));
  const wanted = (params.get('runs') || $('runs-run').value || '').split(',');
  const box = $('runs-list');
  box.innerHTML = '';
  for (const x of r.runs) {
    const c = el('input', { type: 'checkbox', value: x.id });
    c.checked = wanted.includes(x.id);
    c.addEventListener('change', () => { saveUrl(); runsUpdate(false); });
    const swatch = el('span', { class: 'swatch' }, '\u25a0');
    swatch.style.color = runColor(x.id); // through the DOM: the page's policy allows no style attributes
    box.appendChild(el('label', { title: x.path }, c, swatch, ' ' + x.id));
  }
  if (!r.runs.length) $('runs-status').textContent = 'no run folders: pass one with --model RUN_DIR, or train into runs/';
  await runsUpdate(true);
  saveUrl();
  setInterval(() => { if ($('runs-follow').checked && current === 'runs') runsUpdate(false); }, 5000);
}

// Exponential moving average with TensorBoard's debiasing (the first values are not pulled to 0).
function smooth(y, w) {
  const out = [];
  let last = 0, weight = 0;
  for (const v of y) {
    if (v === null || !isFinite(v)) { out.push(null); continue; }
    last = w * last + (1 - w) * v;
    weight = w * weight + (1 - w);
    out.push(last / weight);
  }
  return out;
}

async function runsUpdate(fresh) {
  const shown = runsShown();
  for (const id of shown) {
    try { runs.metrics[id] = await api('/api/runs/metrics?run=' + encodeURIComponent(id)); } catch (e) { delete runs.metrics[id]; }
  }
  runsDraw();
  const lines = shown.filter((id) => runs.metrics[id]).map((id) => {
    const m = runs.metrics[id];
    return id + ': ' + m.records + ' steps logged' + (m.step.length ? ', last ' + m.step[m.step.length - 1] : '');
  });
  if (runs.list.length) $('runs-status').textContent = lines.join('; ') || 'tick a run to plot it';
  const run = $('runs-run').value;
  if (!run) return;
  const info = runs.list.find((x) => x.id === run);
  $('runs-draw').hidden = !(info && info.checkpoint);
  const s = await api('/api/runs/samples?run=' + encodeURIComponent(run));
  const pick = $('runs-pick'), atEnd = fresh || Number(pick.value) >= runs.samples.length - 1;
  runs.samples = s.samples;
  pick.max = Math.max(0, s.samples.length - 1);
  if (atEnd) pick.value = pick.max;
  runsImage();
}

// Every plot: each shown run's raw values (faint) and smoothed (bold), in the run's colour.
function runsDraw() {
  const w = Number($('runs-smooth').value), shown = runsShown().filter((id) => runs.metrics[id]);
  for (const id of PLOTS) {
    const canvas = $(id), field = canvas.dataset.field, log = !!canvas.dataset.log;
    const series = [];
    for (const run of shown) {
      const m = runs.metrics[run];
      if (!m[field] || !m.step.length) continue;
      series.push({ x: m.step, y: m[field], color: runColor(run), alpha: w > 0 ? 0.25 : 1, width: 1 });
      if (w > 0) series.push({ x: m.step, y: smooth(m[field], w), color: runColor(run), width: 1.8 });
    }
    canvas.closest('figure').hidden = !series.length;
    if (series.length) chart(canvas, series, { left: { log: log }, xLabel: 'step', marker: runs.hover });
  }
}

// Hover read-out: every shown run's value (and smoothed value) at the step under the pointer.
function runsReadout(step) {
  const w = Number($('runs-smooth').value), parts = [];
  for (const run of runsShown()) {
    const m = runs.metrics[run];
    if (!m || !m.step.length) continue;
    let lo = 0, hi = m.step.length - 1;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (m.step[mid] < step) lo = mid + 1; else hi = mid; }
    if (lo > 0 && Math.abs(m.step[lo - 1] - step) < Math.abs(m.step[lo] - step)) lo--;
    const vals = [];
    for (const f of ['loss', 'lr', 'gradNorm', 'msPerStep']) {
      if (!m[f]) continue;
      const v = m[f][lo];
      const sm = w > 0 ? smooth(m[f].slice(0, lo + 1), w)[lo] : null;
      vals.push(f + ' ' + (v === null ? '-' : Number(v.toPrecision(4))) + (sm !== null && sm !== undefined ? ' (smoothed ' + Number(sm.toPrecision(4)) + ')' : ''));
    }
    parts.push(run + ' at step ' + m.step[lo] + ': ' + vals.join(', '));
  }
  $('runs-readout').textContent = parts.join(' | ') || 'Point at a plot for the values at a step.';
}

for (const id of PLOTS) {
  $(id).addEventListener('mousemove', (ev) => {
    const x = chartX($(id), ev);
    if (x === null) return;
    runs.hover = x;
    runsDraw();
    runsReadout(x);
  });
  $(id).addEventListener('mouseleave', () => { runs.hover = null; runsDraw(); });
}
$('runs-smooth').addEventListener('input', () => { $('runs-smooth-label').textContent = $('runs-smooth').value; runsDraw(); saveUrl(); });

function runsImage() {
  const s = runs.samples[Number($('runs-pick').value)];
  if (!s) return;
  $('runs-step').textContent = s.step;
  const url = '/api/runs/image?run=' + encodeURIComponent($('runs-run').value) + '&name=' + s.name;
  const img = $('runs-image');
  if (img.dataset.url === url) return;
  img.dataset.url = url;
  blobUrl(url, img.src).then((u) => { if (img.dataset.url === url) img.src = u; }).catch(() => {});
}
$('runs-pick').addEventListener('input', runsImage);
$('runs-run').addEventListener('change', () => { saveUrl(); runsUpdate(true); });

// "Draw from this checkpoint": the run's model joins the page's models; Draw (or VAE) opens with it.
$('runs-draw').addEventListener('click', async () => {
  const r = await api('/api/runs/model', { method: 'POST', body: new URLSearchParams({ run: $('runs-run').value }) }).catch(() => null);
  if (!r) return;
  models = await api('/api/models');
  if (r.kind === 'vae') {
    params.set('vae', r.id); // what the VAE view opens with
    if (vae.ready) { fill($('vae-model'), models.vae, r.id); vaeModel(); }
    show('vae');
  } else {
    const keep = drawValues(false);
    fill($('draw-model'), models.ddpm, r.id);
    setDrawValues((k) => (k === 'model' ? r.id : keep.get(k)));
    drawModel();
    show('draw');
  }
});

// ---- start ----
$('token-use').addEventListener('click', () => {
  const v = $('token-input').value.trim();
  const m = v.match(/[?&]token=([0-9a-f]+)/);
  sessionStorage.setItem('diffusion4j-token', m ? m[1] : v);
  location.reload();
});

(async () => {
  $('draw-status').textContent = 'loading the models...';
  if (!TOKEN) {
    showError('This page needs the address that diffusion4j serve printed, the one that ends in ?token=...');
    $('token-box').hidden = false;
    return;
  }
  models = await api('/api/models');
  await drawInit();
  $('draw-status').textContent = 'ready';
  show(params.get('view') || 'draw');
  queueRefresh();
  // auto=1 draws at once, but not inside another site's frame (the server also forbids framing)
  if (params.get('auto') === '1' && (params.get('view') || 'draw') === 'draw' && window.top === window.self) draw();
})();
