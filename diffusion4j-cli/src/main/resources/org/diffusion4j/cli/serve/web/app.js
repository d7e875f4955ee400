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
    showError(text);
    throw new Error(text);
  }
  showError('');
  return r;
}

async function api(url, options) {
  return (await request(url, options)).json();
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

// A line chart on a canvas: series of [x, y] with colours; log y where asked (per series axis).
function chart(canvas, series, opts) {
  const g = canvas.getContext('2d');
  const W = canvas.width, H = canvas.height, L = 56, R = opts.right ? 56 : 12, T = 10, B = 30;
  g.clearRect(0, 0, W, H);
  g.font = '11px sans-serif';
  g.strokeStyle = '#999';
  g.strokeRect(L, T, W - L - R, H - T - B);
  const xs = series.flatMap((s) => s.x);
  const x0 = Math.min(...xs), x1 = Math.max(...xs);
  const px = (x) => L + (W - L - R) * (x - x0) / ((x1 - x0) || 1);
  g.fillStyle = '#333';
  g.fillText(String(x0), L, H - 12);
  g.fillText(String(x1), W - R - 30, H - 12);
  g.fillText(opts.xLabel || '', (W - 20) / 2, H - 12);
  series.forEach((s, k) => {
    const f = s.log ? (v) => Math.log10(v) : (v) => v;
    const vals = s.y.filter((v) => isFinite(f(v))).map(f);
    const y0 = s.min !== undefined ? f(s.min) : Math.min(...vals), y1 = s.max !== undefined ? f(s.max) : Math.max(...vals);
    const py = (v) => T + (H - T - B) * (1 - (f(v) - y0) / ((y1 - y0) || 1));
    g.strokeStyle = s.color;
    g.lineWidth = 1.5;
    g.beginPath();
    let started = false;
    s.x.forEach((x, i) => {
      const v = s.y[i];
      if (!isFinite(f(v))) return;
      const yy = Math.max(T, Math.min(H - B, py(v)));
      if (started) g.lineTo(px(x), yy); else { g.moveTo(px(x), yy); started = true; }
    });
    g.stroke();
    g.fillStyle = s.color;
    const fmt = (v) => s.log ? '1e' + v.toFixed(1) : v.toPrecision(3);
    const ax = k === 0 ? 4 : W - R + 4;
    g.fillText(fmt(y1), ax, T + 10);
    g.fillText(fmt(y0), ax, H - B);
  });
  if (opts.marker !== undefined) {
    g.strokeStyle = '#d62728';
    g.setLineDash([4, 3]);
    g.beginPath();
    g.moveTo(px(opts.marker), T);
    g.lineTo(px(opts.marker), H - B);
    g.stroke();
    g.setLineDash([]);
  }
}

// Pictures come at their pixel size (a 28x28 digit drawn 2x): show small ones larger, crisp.
document.querySelectorAll('img').forEach((img) => img.addEventListener('load', () => {
  const w = img.naturalWidth;
  img.style.width = (w < 150 ? 2 * w : w) + 'px';
}));

// ---- views ----
function show(view) {
  document.querySelectorAll('.view').forEach((v) => v.classList.toggle('active', v.id === view));
  document.querySelectorAll('nav button').forEach((b) => b.classList.toggle('active', b.dataset.view === view));
  const u = new URL(location.href);
  u.searchParams.set('view', view);
  u.searchParams.delete('token'); // kept for this tab; the address bar is for settings, which may be shared
  history.replaceState(null, '', u);
  if (view === 'forward') forwardInit();
  if (view === 'vae') vaeInit();
  if (view === 'runs') runsInit();
}
document.querySelectorAll('nav button').forEach((b) => b.addEventListener('click', () => show(b.dataset.view)));

let models = { ddpm: [], vae: [] };

// ---- Draw ----
let job = null, source = null; // source: the request that follows the job's events

function optionControl(o) {
  const label = document.createElement('label');
  label.title = o.description;
  label.append(o.name + ' ');
  let input;
  if (o.type === 'choice') {
    input = document.createElement('select');
    const d = document.createElement('option');
    d.value = '';
    d.textContent = o.defaultValue ? o.defaultValue : '(default)';
    input.appendChild(d);
    for (const c of o.choices) {
      const e = document.createElement('option');
      e.value = c;
      e.textContent = c;
      input.appendChild(e);
    }
  } else if (o.type === 'boolean') {
    input = document.createElement('input');
    input.type = 'checkbox';
    input.checked = o.defaultValue === 'true';
  } else {
    input = document.createElement('input');
    input.type = o.type === 'text' ? 'text' : 'number';
    if (o.type === 'number') input.step = 'any';
    input.placeholder = o.defaultValue == null ? 'default' : o.defaultValue;
  }
  input.name = o.name;
  input.dataset.type = o.type;
  // class and guidance mean something only to a class-conditional model
  if (o.name === 'class' || o.name === 'guidance') label.dataset.conditional = '';
  // the page draws 16 by default (sample's 64 is for files); the address can ask for more
  const wanted = params.get(o.name) !== null ? params.get(o.name) : (o.name === 'n' ? '16' : null);
  if (wanted !== null) {
    if (o.type === 'boolean') input.checked = wanted === 'true'; else input.value = wanted;
  }
  label.appendChild(input);
  return label;
}

async function drawInit() {
  const opts = await api('/api/options');
  const box = $('draw-options');
  for (const o of opts.options) box.appendChild(optionControl(o));
  fill($('draw-model'), models.ddpm, params.get('model'));
  drawModel();
}

// Shows the class and guidance controls for a class-conditional model only (they would be refused).
function drawModel() {
  const m = models.ddpm.find((d) => d.id === $('draw-model').value);
  const conditional = !!m && m.classes > 0;
  for (const el of $('draw-options').querySelectorAll('[data-conditional]')) {
    el.hidden = !conditional;
    const input = el.querySelector('input, select');
    if (!conditional && input) input.value = '';
  }
  $('draw-class-note').textContent = conditional ? 'class 0-' + (m.classes - 1) + '; guidance w: 0 is unguided, higher follows the class more strictly' : '';
}
$('draw-model').addEventListener('change', drawModel);

function drawValues() {
  const body = new URLSearchParams();
  body.set('model', $('draw-model').value);
  for (const el of $('draw-options').querySelectorAll('input, select')) {
    if (el.dataset.type === 'boolean') body.set(el.name, el.checked ? 'true' : 'false');
    else if (el.value !== '') body.set(el.name, el.value);
  }
  return body;
}

async function draw() {
  if (source) source.abort();
  $('draw-png').hidden = $('draw-npy').hidden = true;
  const j = await api('/api/jobs', { method: 'POST', body: drawValues() }).catch(() => null);
  if (!j) return;
  job = j.id;
  $('draw-cancel').disabled = false;
  $('draw-status').textContent = 'queued';
  $('draw-command').textContent = j.command || '';
  const mine = source = followEvents('/api/jobs/' + job + '/events', (s) => drawEvent(s, mine));
}

function drawEvent(s, mine) {
  if (s.xt) { $('draw-xt').src = s.xt; $('draw-x0').src = s.x0Hat; }
  $('draw-progress').max = s.count;
  $('draw-progress').value = s.step;
  const time = s.seconds.toFixed(1) + ' s';
  if (s.state === 'queued') $('draw-status').textContent = 'waiting: place ' + s.position + ' in the queue';
  else if (s.state === 'running') $('draw-status').textContent = 'step ' + s.step + ' of ' + s.count + ' (t = ' + s.t + '), ' + time + ' - ' + s.description;
  else {
    $('draw-cancel').disabled = true;
    if (s.state === 'done') {
      $('draw-grid').src = s.grid;
      $('draw-png').href = s.grid;
      blobUrl(s.npyUrl, $('draw-npy').href).then((u) => { if (source === mine) { $('draw-npy').href = u; $('draw-npy').hidden = false; } }).catch(() => {});
      $('draw-png').hidden = false;
      $('draw-status').textContent = 'done: ' + s.n + ' samples in ' + time + ' (' + s.description + ')';
    } else {
      $('draw-status').textContent = s.state + (s.error ? ': ' + s.error : '');
    }
    document.body.dataset.drawState = s.state;
  }
}
$('draw-go').addEventListener('click', draw);
$('draw-cancel').addEventListener('click', () => { if (job) request('/api/jobs/' + job, { method: 'DELETE' }).catch(() => {}); });

// ---- Forward process ----
let fwd = { ready: false, schedule: null, source: null, busy: false, again: false };

async function forwardInit() {
  if (fwd.ready) return;
  fwd.ready = true;
  fill($('fwd-model'), models.ddpm.filter((m) => m.image), params.get('model'));
  if (params.get('index')) $('fwd-index').value = params.get('index');
  if (params.get('t')) $('fwd-t').value = params.get('t');
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
  const q = new URLSearchParams({ model: $('fwd-model').value, t: t, seed: $('fwd-seed').value || '0' });
  if (fwd.source) q.set('source', fwd.source); else q.set('index', $('fwd-index').value || '0');
  try {
    const r = await api('/api/forward?' + q);
    $('fwd-x0').src = r.x0;
    $('fwd-xt').src = r.xt;
    $('fwd-x0-label').textContent = 'x_0: ' + r.label;
    $('fwd-snr').textContent = 't = ' + r.t + ' of ' + r.T + ', alphaBar_t = ' + r.alphaBar.toPrecision(4)
      + ', SNR = ' + (r.snr === null || !isFinite(r.snr) ? 'infinite' : r.snr.toPrecision(4) + ' (' + (10 * Math.log10(r.snr)).toFixed(1) + ' dB)');
    const ab = fwd.schedule.alphaBar, x = ab.map((_, i) => i);
    chart($('fwd-curve'), [
      { x: x, y: ab, color: COLORS[0], min: 0, max: 1 },
      { x: x.slice(1), y: ab.slice(1).map((a) => a / (1 - a)), color: COLORS[1], log: true }], { marker: t, xLabel: 't', right: true });
  } catch (e) { /* shown */ }
  fwd.busy = false;
  if (fwd.again) { fwd.again = false; forwardUpdate(); }
}
$('fwd-t').addEventListener('input', forwardUpdate);
$('fwd-seed').addEventListener('change', forwardUpdate);
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
$('vae-model').addEventListener('change', vaeModel);

// ---- Runs ----
let runs = { ready: false, samples: [] };

async function runsInit() {
  if (runs.ready) return;
  runs.ready = true;
  const r = await api('/api/runs');
  fill($('runs-run'), r.runs.map((x) => ({ id: x.id, label: x.id + ' (' + x.path + ')' })), params.get('run'));
  if (!r.runs.length) $('runs-status').textContent = 'no run folders: pass one with --model RUN_DIR, or train into runs/';
  await runsUpdate(true);
  setInterval(() => { if ($('runs-follow').checked && document.getElementById('runs').classList.contains('active')) runsUpdate(false); }, 5000);
}

async function runsUpdate(fresh) {
  const run = $('runs-run').value;
  if (!run) return;
  const m = await api('/api/runs/metrics?run=' + encodeURIComponent(run));
  if (m.step.length) chart($('runs-loss'), [{ x: m.step, y: m.loss, color: COLORS[0], log: true }], { xLabel: 'step' });
  $('runs-status').textContent = m.records + ' steps logged' + (m.step.length ? ', last ' + m.step[m.step.length - 1] : '');
  const s = await api('/api/runs/samples?run=' + encodeURIComponent(run));
  const pick = $('runs-pick'), atEnd = fresh || Number(pick.value) >= runs.samples.length - 1;
  runs.samples = s.samples;
  pick.max = Math.max(0, s.samples.length - 1);
  if (atEnd) pick.value = pick.max;
  runsImage();
}

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
$('runs-run').addEventListener('change', () => runsUpdate(true));

// ---- start ----
(async () => {
  $('draw-status').textContent = 'loading the models...';
  if (!TOKEN) {
    showError('This page needs the address that diffusion4j serve printed, the one that ends in ?token=...');
    return;
  }
  models = await api('/api/models');
  await drawInit();
  $('draw-status').textContent = 'ready';
  show(params.get('view') || 'draw');
  // auto=1 draws at once, but not inside another site's frame (the server also forbids framing)
  if (params.get('auto') === '1' && (params.get('view') || 'draw') === 'draw' && window.top === window.self) draw();
})();
