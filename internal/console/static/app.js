// The console: sign-in, groups and streams, search with histogram and
// paging, context, live tail, SQL with charts, saved queries. State that a
// person would share (view, stream, query, time range) lives in the
// address's fragment: #/logs?group=…&stream=…&q=…&range=15m.
import { api, ApiError, domainID, InputError, hooks, loadSession, lts, projectID, saveSession, signIn, signOut } from './api.js';
import { initAlarms } from './alarms.js';
import { histogram, sqlChart } from './charts.js';
import { initViews } from './views.js';

const $ = (sel) => document.querySelector(sel);
const el = (tag, props = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v);
  }
  e.append(...kids.filter((x) => x !== null && x !== undefined));
  return e;
};

const PAGE = 100;
const MAX_ROWS = 5000;
const TAIL_MS = 1500;

const state = {
  groups: [],
  streams: new Map(), // group id -> streams, starred first
  favorites: [], // starred streams of every group
  open: new Set(), // expanded groups
  group: '',
  stream: '',
  rows: [], // shown lines, newest first: {line, content, labels}
  searchSeq: 0,
  detailsSeq: 0, // counts the loads of the details tab
  tail: null,
  tailLast: 0n,
  lastWindow: null,
  sql: { columns: [], rows: [] },
  buckets: null, // the last search's histogram: {start, end, num}
};

// ---- errors -------------------------------------------------------------

export function showError(err, caretFor) {
  const box = $('#error');
  if (!err) {
    box.hidden = true;
    box.textContent = '';
    for (const c of document.querySelectorAll('.caret')) c.hidden = true;
    return;
  }
  let text = err instanceof ApiError ? `${err.code}: ${err.message}` : String(err.message || err);
  if (err instanceof ApiError && err.status === 429) {
    text = `Too many requests (${err.code}): ${err.message}` + (err.retryAfter ? ` — retry in ${err.retryAfter} s` : '');
  }
  box.textContent = text;
  box.hidden = false;
  if (caretFor && err instanceof ApiError && err.position > 0) {
    const [input, caret] = caretFor;
    const src = input.value;
    caret.textContent = `${src}\n${' '.repeat(err.position - 1)}^ ${err.message.replace(/^.*?: /, '')}`;
    caret.hidden = false;
    input.focus();
    if (input.setSelectionRange) input.setSelectionRange(err.position - 1, err.position);
  }
}
export const clearError = () => showError(null);

// guard runs an action and shows its error instead of throwing.
async function guard(fn, caretFor) {
  try {
    clearError();
    return await fn();
  } catch (e) {
    showError(e, caretFor);
    if (!(e instanceof ApiError || e instanceof InputError)) console.warn(e);
    return undefined;
  }
}

// ask shows a small modal: a question and optional fields; it resolves to
// the fields' values, or null on cancel.
//
// A dialog's close event arrives after it closed, as a task of its own: a
// question asked at once after another was cancelled can see the earlier
// close event while it is showing. Each question therefore has its turn;
// a close event that comes while the dialog is open belongs to an earlier
// question, and a question that a later one replaced resolves to null.
let askTurn = 0;
function ask(text, fields = []) {
  const dlg = $('#ask');
  $('#ask-text').textContent = text;
  const box = $('#ask-fields');
  box.replaceChildren(...fields.map((f) => el('label', {}, f.label, el('input', { name: f.name, value: f.value ?? '', type: f.type || 'text', 'data-testid': `ask-${f.name}` }))));
  const turn = ++askTurn;
  dlg.returnValue = '';
  dlg.showModal();
  return new Promise((resolve) => {
    const closed = () => {
      if (turn !== askTurn) {
        dlg.removeEventListener('close', closed);
        return resolve(null);
      }
      if (dlg.open) return;
      dlg.removeEventListener('close', closed);
      if (dlg.returnValue !== 'ok') return resolve(null);
      const out = {};
      for (const i of box.querySelectorAll('input')) out[i.name] = i.value;
      resolve(out);
    };
    dlg.addEventListener('close', closed);
  });
}

// ---- the address --------------------------------------------------------

function route() {
  const h = location.hash.replace(/^#\/?/, '');
  const [view, qs] = h.split('?');
  return { view: view || 'logs', params: new URLSearchParams(qs || '') };
}

function setRoute(view, params) {
  const qs = new URLSearchParams(params).toString();
  const next = `#/${view}${qs ? '?' + qs : ''}`;
  if (location.hash !== next) history.replaceState(null, '', next);
}

function logsParams() {
  const p = { group: state.group, stream: state.stream, tab: currentTab() };
  const q = $('#query').value;
  if (q) p.q = q;
  p.range = $('#range').value;
  if (p.range === 'custom') {
    p.from = String(Date.parse($('#from').value));
    p.to = String(Date.parse($('#to').value));
  }
  return p;
}
const syncRoute = () => setRoute('logs', logsParams());

// ---- sign in ------------------------------------------------------------

function showSignedIn(session) {
  $('#login').hidden = !!session;
  $('#app').hidden = !session;
  if (!session) {
    $('#login-form [name=domain]').focus();
    return;
  }
  $('#who').textContent = `${session.user}@${session.domain}`;
  const sel = $('#project');
  sel.replaceChildren(...session.projects.map((p) => el('option', { value: p.id, text: `${p.name} (${p.id.slice(0, 8)})` })));
  sel.value = session.project;
}

async function onLogin(ev) {
  ev.preventDefault();
  const f = ev.target;
  const btn = $('[data-testid=login-submit]');
  btn.disabled = true;
  try {
    clearError();
    const s = await signIn(f.domain.value.trim(), f.user.value.trim(), f.password.value);
    f.password.value = '';
    showSignedIn(s);
    await start();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) e.message = `Wrong domain, user or password (${e.message})`;
    showError(e);
  } finally {
    btn.disabled = false;
  }
}

async function onSignOut() {
  stopTail();
  await signOut();
  location.hash = '';
  showSignedIn(null);
}

// ---- groups and streams -------------------------------------------------

async function loadGroups() {
  const [r] = await Promise.all([api('GET', lts('/groups')), loadFavorites()]);
  state.groups = (r.data.log_groups || []).sort((a, b) => a.log_group_name.localeCompare(b.log_group_name));
  await Promise.all([...state.open].filter((g) => state.groups.some((x) => x.log_group_id === g)).map(loadStreams));
  renderGroups();
}

// Starred streams first, then by name.
const byStarThenName = (a, b) => (b.is_favorite - a.is_favorite) || a.log_stream_name.localeCompare(b.log_stream_name);

async function loadStreams(groupID) {
  const r = await api('GET', lts(`/groups/${groupID}/streams`));
  state.streams.set(groupID, (r.data.log_streams || []).sort(byStarThenName));
}

// loadFavorites finds the starred streams of every group: the stream
// lists' is_favorite is the only way to read favourites back.
async function loadFavorites() {
  const r = await api('GET', lts('/log-streams'));
  state.favorites = (r.data.log_streams || []).filter((s) => s.is_favorite).sort(byStarThenName);
}

// toggleFavorite stars or unstars a stream (Createfavorite and
// Deletefavorite), its id as the favourite's resource id.
async function toggleFavorite(groupID, s) {
  await guard(async () => {
    if (s.is_favorite) await api('DELETE', `/v1.0/${projectID()}/lts/favorite/${s.log_stream_id}`);
    else {
      const g = state.groups.find((x) => x.log_group_id === groupID) || {};
      await api('POST', `/v1.0/${projectID()}/lts/favorite`, { favorite_resource_id: s.log_stream_id, favorite_resource_type: 'LOG_STREAM',
        log_group_id: groupID, log_group_name: g.log_group_name, log_stream_id: s.log_stream_id, log_stream_name: s.log_stream_name, is_global: true });
    }
    await Promise.all([loadFavorites(), state.open.has(groupID) ? loadStreams(groupID) : null]);
    renderGroups();
  });
}

function streamName(id) {
  for (const list of state.streams.values()) for (const s of list) if (s.log_stream_id === id) return s.log_stream_name;
  return id;
}

function renderGroups() {
  $('#favorites').replaceChildren(...state.favorites.map((s) => el('li', { class: 'row-s' + (s.log_stream_id === state.stream ? ' current' : '') },
    el('span', { class: 'sname', 'data-testid': 'favorite-item', 'data-id': s.log_stream_id, tabindex: '0', role: 'button',
      text: `★ ${(state.groups.find((g) => g.log_group_id === s.log_group_id) || {}).log_group_name || s.log_group_id} / ${s.log_stream_name}`,
      onclick: () => openFavorite(s), onkeydown: (e) => e.key === 'Enter' && openFavorite(s) }))));
  const ul = $('#groups');
  ul.replaceChildren(...state.groups.map((g) => {
    const id = g.log_group_id;
    const open = state.open.has(id);
    const li = el('li', {},
      el('div', { class: 'row-g', 'data-testid': 'group-item', 'data-id': id },
        el('span', { class: 'gname', text: (open ? '▾ ' : '▸ ') + g.log_group_name, tabindex: '0', role: 'button', onclick: () => toggleGroup(id), onkeydown: (e) => e.key === 'Enter' && toggleGroup(id) }),
        el('span', { class: 'ttl', text: `${g.ttl_in_days}d` }),
        el('button', { type: 'button', title: 'Days kept', 'data-testid': 'group-ttl', onclick: () => setGroupTTL(g) }, 'TTL'),
        el('button', { type: 'button', title: 'Delete group', 'data-testid': 'group-delete', onclick: () => deleteGroup(g) }, '✕')));
    if (open) {
      const streams = state.streams.get(id) || [];
      li.append(el('ul', {},
        ...streams.map((s) => el('li', { class: 'row-s' + (s.log_stream_id === state.stream ? ' current' : '') },
          el('span', { class: 'sname', 'data-testid': 'stream-item', 'data-id': s.log_stream_id, tabindex: '0', role: 'button', text: s.log_stream_name,
            onclick: () => pickStream(id, s.log_stream_id), onkeydown: (e) => e.key === 'Enter' && pickStream(id, s.log_stream_id) }),
          el('button', { type: 'button', title: s.is_favorite ? 'Unstar' : 'Star: list first', 'aria-pressed': String(s.is_favorite), 'data-testid': 'stream-favorite',
            onclick: () => toggleFavorite(id, s) }, s.is_favorite ? '★' : '☆'),
          el('button', { type: 'button', title: 'Delete stream', 'data-testid': 'stream-delete', onclick: () => deleteStream(id, s) }, '✕'))),
        el('li', {}, el('form', { class: 'inline', onsubmit: (e) => createStream(e, id) },
          el('input', { name: 'name', placeholder: 'new stream', required: '', size: '12', 'aria-label': 'New stream name', 'data-testid': 'stream-name' }),
          el('button', { type: 'submit', 'data-testid': 'stream-create' }, '+')))));
    }
    return li;
  }));
}

async function openFavorite(s) {
  await guard(async () => {
    state.open.add(s.log_group_id);
    await loadStreams(s.log_group_id);
    await pickStream(s.log_group_id, s.log_stream_id);
  });
}

async function toggleGroup(id) {
  await guard(async () => {
    if (state.open.has(id)) state.open.delete(id);
    else {
      state.open.add(id);
      await loadStreams(id);
    }
    renderGroups();
  });
}

async function createGroup(ev) {
  ev.preventDefault();
  const f = ev.target;
  await guard(async () => {
    const r = await api('POST', lts('/groups'), { log_group_name: f.name.value.trim(), ttl_in_days: Number(f.ttl.value) });
    f.name.value = '';
    state.open.add(r.data.log_group_id);
    await loadGroups();
  });
}

async function setGroupTTL(g) {
  const v = await ask(`Days to keep the logs of ${g.log_group_name}`, [{ name: 'ttl', label: 'Days (1-365)', type: 'number', value: g.ttl_in_days }]);
  if (!v) return;
  await guard(async () => {
    await api('POST', lts(`/groups/${g.log_group_id}`), { ttl_in_days: Number(v.ttl) });
    await loadGroups();
  });
}

async function deleteGroup(g) {
  if (!(await ask(`Delete the group ${g.log_group_name} and all its streams and logs?`))) return;
  await guard(async () => {
    await api('DELETE', lts(`/groups/${g.log_group_id}`));
    state.open.delete(g.log_group_id);
    if (state.group === g.log_group_id) closeStream();
    await loadGroups();
  });
}

async function createStream(ev, groupID) {
  ev.preventDefault();
  const f = ev.target;
  await guard(async () => {
    await api('POST', lts(`/groups/${groupID}/streams`), { log_stream_name: f.name.value.trim() });
    await loadStreams(groupID);
    renderGroups();
  });
}

async function deleteStream(groupID, s) {
  if (!(await ask(`Delete the stream ${s.log_stream_name} and its logs?`))) return;
  await guard(async () => {
    await api('DELETE', lts(`/groups/${groupID}/streams/${s.log_stream_id}`));
    if (state.stream === s.log_stream_id) closeStream();
    await Promise.all([loadStreams(groupID), loadFavorites()]);
    renderGroups();
  });
}

function closeStream() {
  stopTail();
  state.group = state.stream = '';
  $('#stream-view').hidden = true;
  $('#no-stream').hidden = false;
  syncRoute();
}

async function pickStream(groupID, streamID, { run = true } = {}) {
  stopTail();
  state.group = groupID;
  state.stream = streamID;
  $('#stream-view').hidden = false;
  $('#no-stream').hidden = true;
  $('#stream-title').textContent = `${(state.groups.find((g) => g.log_group_id === groupID) || {}).log_group_name || groupID} / ${streamName(streamID)}`;
  renderGroups();
  syncRoute();
  const detailsShown = state.detailsSeq;
  await Promise.all([loadSaved(), loadHistory()]);
  if (state.stream !== streamID) return; // another stream was picked meanwhile
  // The details tab, picked meanwhile, has loaded them already: asking
  // again would ask twice.
  if (currentTab() === 'details' && state.detailsSeq === detailsShown) await showDetails();
  if (run && currentTab() === 'search') await runSearch();
}

// ---- time ---------------------------------------------------------------

const UNITS = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3 };

// timeWindow is the picked range in Unix ms, or throws a readable error.
function timeWindow() {
  const v = $('#range').value.trim();
  if (v === 'custom') {
    const from = Date.parse($('#from').value);
    const to = Date.parse($('#to').value);
    if (Number.isNaN(from) || Number.isNaN(to)) throw new InputError('Time range: pick both ends of a custom range');
    if (from >= to) throw new InputError('Time range: the start must be before the end');
    return { start: from, end: to };
  }
  const m = /^(\d+)\s*([smhdw])$/.exec(v);
  if (!m || Number(m[1]) === 0) throw new InputError(`Time range: "${v}" is not a range like 15m, 1h, 24h or 7d (or custom)`);
  const end = Date.now();
  return { start: end - Number(m[1]) * UNITS[m[2]], end };
}

const pad = (n, w = 2) => String(n).padStart(w, '0');
function localInput(ms) {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
function fmtTime(lineNum) {
  const ns = BigInt(lineNum);
  const d = new Date(Number(ns / 1000000n));
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

function setCustom(start, end) {
  $('#range').value = 'custom';
  $('#from').value = localInput(start);
  $('#to').value = localInput(end);
}

// stepFor picks a histogram step of about 60 buckets, whole seconds.
function stepFor(span) {
  const steps = [1e3, 5e3, 10e3, 30e3, 60e3, 300e3, 600e3, 1800e3, 3600e3, 3 * 3600e3, 6 * 3600e3, 12 * 3600e3, 86400e3];
  return steps.find((s) => span / s <= 60) || 86400e3;
}

// ---- search -------------------------------------------------------------

// contentNodes renders a highlighted line: the service wraps matches in
// HighLightTag, which becomes <mark>; everything else is text.
function contentNodes(content) {
  const out = [];
  const re = /<(\/?)HighLightTag>/g;
  let last = 0;
  let open = false;
  let m;
  while ((m = re.exec(content))) {
    const text = content.slice(last, m.index);
    if (text) out.push(open ? el('mark', { text }) : document.createTextNode(text));
    open = m[1] === '';
    last = re.lastIndex;
  }
  const rest = content.slice(last);
  if (rest) out.push(open ? el('mark', { text: rest }) : document.createTextNode(rest));
  return out;
}
const plain = (content) => content.replace(/<\/?HighLightTag>/g, '');

function detailsOf(log) {
  const rows = [];
  for (const [k, v] of Object.entries(log.labels || {})) rows.push(el('tr', {}, el('td', { text: 'label ' + k }), el('td', { text: v })));
  try {
    const obj = JSON.parse(plain(log.content));
    if (obj && typeof obj === 'object') {
      for (const [k, v] of Object.entries(obj)) rows.push(el('tr', {}, el('td', { text: 'field ' + k }), el('td', { text: typeof v === 'string' ? v : JSON.stringify(v) })));
    }
  } catch { /* not JSON: no fields */ }
  rows.push(el('tr', {}, el('td', { text: 'line_num' }), el('td', { text: log.line_num })));
  return el('div', { class: 'details' }, el('table', {}, ...rows));
}

function rowOf(log, { anchor = false, context = true, fresh = false } = {}) {
  const row = el('div', { class: 'row' + (anchor ? ' anchor' : '') + (fresh ? ' fresh' : ''), role: 'listitem', 'data-testid': 'result-row', 'data-line': log.line_num });
  if (anchor) row.setAttribute('aria-current', 'true');
  let details = null;
  const toggle = el('button', { type: 'button', class: 'expand', title: 'Labels and fields', 'aria-expanded': 'false', 'data-testid': 'row-expand' }, '▸');
  toggle.addEventListener('click', () => {
    if (details) {
      details.remove();
      details = null;
    } else {
      details = detailsOf(log);
      row.append(details);
    }
    toggle.textContent = details ? '▾' : '▸';
    toggle.setAttribute('aria-expanded', String(!!details));
  });
  row.append(toggle, el('time', { text: fmtTime(log.line_num) }), el('span', { class: 'content' }, ...contentNodes(log.content)));
  row.append(context ? el('button', { type: 'button', 'data-testid': 'row-context', title: 'Lines around this one', onclick: () => openContext(log.line_num) }, 'context') : el('span'));
  return row;
}

function searchBody(win, extra = {}) {
  return { start_time: win.start, end_time: win.end, keywords: $('#query').value, is_desc: true, limit: PAGE, highlight: true, ...extra };
}
const queryPath = () => lts(`/groups/${state.group}/streams/${state.stream}/content/query`);

async function runSearch() {
  if (!state.stream) return;
  const seq = ++state.searchSeq;
  syncRoute();
  await guard(async () => {
    const win = timeWindow();
    state.lastWindow = win;
    const span = win.end - win.start;
    const step = stepFor(span);
    // The count is the histogram's sum: asking the search for it too
    // (is_count) would make the engine count every match a second time.
    const [page, hist] = await Promise.all([
      api('POST', queryPath(), searchBody(win)),
      api('POST', lts('/lts/keyword-count'), { start_time: win.start, end_time: win.end, step_interval: step, group_id: state.group, stream_id: state.stream, key_word: $('#query').value }),
    ]);
    if (seq !== state.searchSeq) return;
    state.rows = page.data.logs || [];
    renderRows();
    state.buckets = JSON.parse(hist.data.histogram || '[]').map((b) => ({ start: Number(b.startTime), end: Number(b.endTime), num: b.num }));
    drawHistogram();
    $('#count').textContent = $('#histogram').dataset.total;
    if (state.tail) state.tailLast = newestLine();
  }, [$('#query'), $('#query-caret')]);
}

function drawHistogram() {
  const h = $('#histogram');
  h.dataset.total = String(state.buckets.reduce((a, b) => a + b.num, 0));
  histogram(h, state.buckets, (a, b) => {
    setCustom(a, b);
    runSearch();
  });
}

function renderRows() {
  const box = $('#results');
  box.replaceChildren(...state.rows.map((l) => rowOf(l)));
  $('#more').hidden = state.rows.length === 0 || state.rows.length % PAGE !== 0 || state.rows.length >= MAX_ROWS;
}

// loadMore fetches the page after the last shown line (older lines),
// with the last line's line_num as the cursor.
async function loadMore() {
  if (!state.rows.length || !state.lastWindow) return;
  await guard(async () => {
    const last = state.rows[state.rows.length - 1];
    const r = await api('POST', queryPath(), searchBody(state.lastWindow, { search_type: 'forwards', line_num: last.line_num }));
    const logs = r.data.logs || [];
    state.rows.push(...logs);
    $('#results').append(...logs.map((l) => rowOf(l)));
    $('#more').hidden = logs.length < PAGE || state.rows.length >= MAX_ROWS;
  });
}

// loadNewer fetches the page before the first shown line (newer lines),
// up to the end of the window as it is now.
async function loadNewer() {
  if (!state.rows.length) return runSearch();
  await guard(async () => {
    const win = timeWindow();
    const first = state.rows[0];
    const firstMS = Number(BigInt(first.line_num) / 1000000n);
    if (win.start > firstMS) win.start = firstMS;
    const r = await api('POST', queryPath(), searchBody(win, { search_type: 'backwards', line_num: first.line_num }));
    const logs = r.data.logs || [];
    state.rows.unshift(...logs);
    $('#results').prepend(...logs.map((l) => rowOf(l, { fresh: true })));
  });
}

function download(kind) {
  const rows = state.rows.map((l) => ({ time: fmtTime(l.line_num), line_num: l.line_num, content: plain(l.content), labels: l.labels || {} }));
  let blob;
  if (kind === 'json') blob = new Blob([JSON.stringify(rows, null, 1)], { type: 'application/json' });
  else {
    const q = (s) => `"${String(s).replace(/"/g, '""')}"`;
    const lines = ['time,line_num,content,labels', ...rows.map((r) => [r.time, r.line_num, r.content, JSON.stringify(r.labels)].map(q).join(','))];
    blob = new Blob([lines.join('\r\n') + '\r\n'], { type: 'text/csv' });
  }
  const a = el('a', { href: URL.createObjectURL(blob), download: `${streamName(state.stream)}.${kind}` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

// ---- context ------------------------------------------------------------

const ctx = { anchor: '', logs: [] };

async function openContext(lineNum, size = 20) {
  await guard(async () => {
    const r = await api('POST', lts(`/groups/${state.group}/streams/${state.stream}/context`), { line_num: lineNum, backwards_size: size, forwards_size: size });
    ctx.anchor = lineNum;
    ctx.logs = r.data.logs || [];
    renderContext();
    const dlg = $('#context');
    if (!dlg.open) dlg.showModal();
  });
}

function renderContext() {
  $('#context-view').replaceChildren(...ctx.logs.map((l) => rowOf(l, { anchor: l.line_num === ctx.anchor, context: false })));
  const a = $('#context-view .anchor');
  if (a) a.scrollIntoView({ block: 'center' });
}

async function contextMore(earlier) {
  if (!ctx.logs.length) return;
  const edge = earlier ? ctx.logs[0] : ctx.logs[ctx.logs.length - 1];
  await guard(async () => {
    const r = await api('POST', lts(`/groups/${state.group}/streams/${state.stream}/context`), { line_num: edge.line_num, backwards_size: earlier ? 20 : 0, forwards_size: earlier ? 0 : 20 });
    const logs = (r.data.logs || []).filter((l) => l.line_num !== edge.line_num);
    if (earlier) ctx.logs.unshift(...logs);
    else ctx.logs.push(...logs);
    $('#context-view').replaceChildren(...ctx.logs.map((l) => rowOf(l, { anchor: l.line_num === ctx.anchor, context: false })));
  });
}

// ---- live tail ----------------------------------------------------------

const newestLine = () => (state.rows.length ? BigInt(state.rows[0].line_num) : BigInt(Date.now()) * 1000000n);

function startTail() {
  stopTail();
  state.tailLast = newestLine();
  $('#tail').setAttribute('aria-pressed', 'true');
  const tick = async () => {
    if (!state.tail) return;
    await pollTail();
    if (state.tail) state.tail = setTimeout(tick, TAIL_MS);
  };
  state.tail = setTimeout(tick, 10);
}

function stopTail() {
  if (state.tail) clearTimeout(state.tail);
  state.tail = null;
  $('#tail').setAttribute('aria-pressed', 'false');
}

// pollTail asks for the lines after the newest one seen, oldest first, and
// shows them on top.
async function pollTail() {
  const since = state.tailLast;
  const startMS = Number(since / 1000000n);
  const end = Date.now() + 1000;
  try {
    const r = await api('POST', queryPath(), { start_time: startMS, end_time: Math.max(end, startMS + 1), keywords: $('#query').value, is_desc: false, limit: 500, highlight: true });
    const fresh = (r.data.logs || []).filter((l) => BigInt(l.line_num) > since);
    if (!fresh.length || !state.tail) return;
    state.tailLast = BigInt(fresh[fresh.length - 1].line_num);
    fresh.reverse();
    state.rows.unshift(...fresh);
    $('#results').prepend(...fresh.map((l) => rowOf(l, { fresh: true })));
    $('#count').textContent = String(Number($('#count').textContent) + fresh.length);
    const box = $('#results');
    while (state.rows.length > MAX_ROWS) {
      state.rows.pop();
      box.lastElementChild.remove();
    }
  } catch (e) {
    stopTail();
    showError(e);
  }
}

// ---- SQL ----------------------------------------------------------------

async function runSQL() {
  if (!state.stream) return;
  syncRoute();
  await guard(async () => {
    const win = timeWindow();
    const query = $('#sql').value.trim();
    if (!query) throw new InputError('SQL: write a query, e.g. SELECT count(*) AS n');
    const r = await api('POST', lts(`/streams/${state.stream}/struct-content/query`), {
      query, format: 'k-v', time_range: { start_time: win.start, end_time: win.end, sql_time_zone: Intl.DateTimeFormat().resolvedOptions().timeZone },
    });
    const rows = r.data.result || [];
    const columns = r.data.columns || (rows[0] ? Object.keys(rows[0]) : []);
    state.sql = { columns, rows };
    renderSQL();
    loadHistory();
  }, [$('#sql'), $('#sql-caret')]);
}

function renderSQL() {
  const { columns, rows } = state.sql;
  const t = $('#sql-table');
  t.replaceChildren(
    el('thead', {}, el('tr', {}, ...columns.map((c) => el('th', { text: c })))),
    el('tbody', {}, ...rows.map((r) => el('tr', {}, ...columns.map((c) => el('td', { text: r[c] ?? '' }))))));
  sqlChart($('#sql-chart'), columns, rows, $('#chart-kind').value);
}

async function loadHistory() {
  if (!state.stream) return;
  try {
    const r = await api('GET', lts(`/lts/history-sql?log_group_id=${state.group}&log_stream_id=${state.stream}`));
    const list = (r.data && r.data.results) || [];
    $('#sql-history').replaceChildren(el('option', { value: '', text: 'history…' }), ...list.map((h) => el('option', { value: h.sql_statement, text: h.sql_statement.slice(0, 80) })));
  } catch {
    // History is a convenience: its failure is not the user's problem.
  }
}

// ---- saved queries (search criteria) -------------------------------------

const criteriaPath = () => `/v1.0/${projectID()}/groups/${state.group}/topics/${state.stream}/search-criterias`;

async function loadSaved() {
  const r = await guard(() => api('GET', criteriaPath()));
  if (!r) return;
  const list = r.data.search_criterias || [];
  $('#saved').replaceChildren(...list.map((c) => el('li', { 'data-testid': 'saved-query-item', 'data-id': c.id, title: c.criteria, tabindex: '0', role: 'button',
    onclick: (e) => { if (e.target.tagName !== 'BUTTON') useSaved(c); },
    onkeydown: (e) => e.key === 'Enter' && useSaved(c) },
  el('span', { text: c.name + (c.search_type === 'VISUALIZATION' ? ' (SQL)' : '') }),
  el('button', { type: 'button', title: 'Delete', 'data-testid': 'saved-query-delete', onclick: () => deleteSaved(c) }, '✕'))));
}

function useSaved(c) {
  if (c.search_type === 'VISUALIZATION') {
    $('#sql').value = c.criteria;
    selectTab('sql');
    runSQL();
  } else {
    $('#query').value = c.criteria;
    selectTab('search');
    runSearch();
  }
}

async function saveQuery(kind) {
  const criteria = kind === 'VISUALIZATION' ? $('#sql').value.trim() : $('#query').value.trim();
  const name = $('#saved-name').value.trim() || criteria.slice(0, 60);
  await guard(async () => {
    if (!criteria) throw new InputError('Saved queries: write a query first');
    await api('POST', criteriaPath(), { name, criteria, search_type: kind });
    $('#saved-name').value = '';
    await loadSaved();
  });
}

async function deleteSaved(c) {
  await guard(async () => {
    await api('DELETE', criteriaPath(), { id: c.id });
    await loadSaved();
  });
}

// ---- stream details -----------------------------------------------------

// kv is a two-column table of labels and values, skipping empty values.
const kv = (pairs) => el('table', { class: 'grid kv' }, ...pairs.filter(([, v]) => v !== undefined && v !== null && v !== '')
  .map(([k, v]) => el('tr', {}, el('th', { text: k }), el('td', { text: String(v) }))));
const grid = (heads, rows) => el('table', { class: 'grid' }, el('tr', {}, ...heads.map((h) => el('th', { text: h }))),
  ...rows.map((r) => el('tr', {}, ...r.map((c) => el('td', { text: c === undefined || c === null ? '' : String(c) })))));
const yesNo = (b) => (b ? 'yes' : 'no');

function streamView(s) {
  return kv([['name', s.log_stream_name], ['id', s.log_stream_id], ['days kept', s.ttl_in_days],
    ['created', s.creation_time ? new Date(s.creation_time).toLocaleString() : ''], ['starred', yesNo(s.is_favorite)],
    ['labels', Object.entries(s.tag || {}).map(([k, v]) => `${k}=${v}`).join(', ')]]);
}

function indexView(c) {
  const ft = c.fullTextIndex || {};
  return el('div', {},
    kv([['full-text index', ft.enable ? `on, ${ft.caseSensitive ? 'case-sensitive' : 'case-insensitive'}` : 'off'],
      ['delimiters', ft.tokenizer], ['SQL analysis', yesNo(c.sqlAnalysisEnable)]]),
    (c.fields || []).length ? grid(['field', 'type', 'case-sensitive', 'delimiters', 'quick analysis'],
      c.fields.map((f) => [f.fieldName, f.fieldType, yesNo(f.caseSensitive), f.tokenizer, yesNo(f.quickAnalysis)]))
      : el('p', { class: 'hint', text: 'No field indexes.' }));
}

function structView(r) {
  const fields = [...(r.demoFields || []).map((f) => [f.fieldName, f.type, 'from the line', f.content]),
    ...(r.tagFields || []).map((f) => [f.fieldName, f.type, 'from a label', f.content])];
  return el('div', {},
    kv([['template', r.templateName], ['pattern', r.regex], ['example line', r.demoLog],
      ['lines not parsed', r.unparsedLines], ['values not converted', r.failedValues]]),
    fields.length ? grid(['field', 'type', 'source', 'example'], fields) : el('p', { class: 'hint', text: 'No fields.' }));
}

function transfersView(list) {
  if (!list.length) return el('p', { class: 'hint', text: 'No transfers of this stream.' });
  return grid(['type', 'status', 'destination', 'every', 'format'], list.map((t) => {
    const i = t.log_transfer_info;
    const d = i.log_transfer_detail || {};
    return [i.log_transfer_type, i.log_transfer_status + (i.log_transfer_failure ? ` (${i.log_transfer_failure})` : ''),
      d.obs_bucket_name ? `${d.obs_bucket_name}/${d.obs_dir_pre_fix_name || ''}` : '', d.obs_period ? `${d.obs_period} ${d.obs_period_unit}` : '', i.log_storage_format];
  }));
}

// showDetails draws the stream, its index configuration, structuring rule
// and transfers as tables; a part that has nothing configured says so.
// LTS has no way to ask whether a stream has a structuring rule without
// failing: ShowStructTemplate answers 400 LTS.0102 "Query empty." and the
// stream's own description carries no sign of one, so that answer is read
// as "none" (and the browser logs it as a failed request).
async function showDetails() {
  const box = $('#details');
  box.replaceChildren(el('p', { class: 'hint', text: 'Loading…' }));
  const part = async (title, testid, fn, missing) => {
    let body;
    try {
      body = await fn();
    } catch (e) {
      body = el('p', { class: 'hint', text: missing && e.status === 400 && e.code === missing ? 'None.' : e instanceof ApiError ? `${e.code}: ${e.message}` : String(e) });
    }
    return el('section', { 'data-testid': testid }, el('h3', { text: title }), body);
  };
  state.detailsSeq++;
  const stream = state.stream;
  const s = (state.streams.get(state.group) || []).find((x) => x.log_stream_id === state.stream);
  const parts = await Promise.all([
    part('Stream', 'details-stream', async () => streamView(s || {})),
    part('Index configuration', 'details-index', async () => indexView((await api('GET', `/v1.0/${projectID()}/groups/${state.group}/stream/${state.stream}/index/config`)).data)),
    part('Structuring rule', 'details-structuring', async () => structView((await api('GET', lts(`/lts/struct/template?logGroupId=${state.group}&logStreamId=${state.stream}`))).data), 'LTS.0102'),
    part('Transfers', 'details-transfers', async () => transfersView(((await api('GET', lts(`/transfers?log_stream_name=${encodeURIComponent(streamName(state.stream))}`))).data.log_transfers || [])
      .filter((t) => (t.log_streams || []).some((x) => x.log_stream_id === state.stream)))),
  ]);
  if (state.stream !== stream) return; // another stream's details are on their way
  box.replaceChildren(el('div', { class: 'details-grid' }, ...parts));
}

// ---- tabs and start -----------------------------------------------------

function currentTab() {
  const b = document.querySelector('.subtabs [aria-selected=true]');
  return b ? b.dataset.tab : 'search';
}

function selectTab(tab) {
  for (const b of document.querySelectorAll('.subtabs button')) b.setAttribute('aria-selected', String(b.dataset.tab === tab));
  for (const t of ['search', 'sql', 'details']) $(`#tab-${t}`).hidden = t !== tab;
  if (tab !== 'search') stopTail();
  syncRoute();
  if (tab === 'details' && state.stream) showDetails();
  if (tab === 'sql') loadDashboards();
}

async function loadDashboards() {
  const r = await guard(() => api('GET', lts('/dashboard')));
  if (!r) return;
  $('#dash-pick').replaceChildren(...(r.data.results || []).map((d) => el('option', { value: d.id, text: d.title })));
}

async function addChart() {
  await guard(async () => {
    const dashboard = $('#dash-pick').value;
    if (!dashboard) throw new InputError('Dashboards: create a dashboard first (Dashboards tab)');
    const sql = $('#sql').value.trim();
    const title = $('#chart-title').value.trim() || sql.slice(0, 40);
    await api('POST', lts(`/groups/${state.group}/streams/${state.stream}/charts`), { title, sql, type: $('#chart-kind').value, dashboard_id: dashboard });
    $('#chart-title').value = '';
  }, [$('#sql'), $('#sql-caret')]);
}

function showView(view) {
  for (const v of ['logs', 'dashboards', 'metrics', 'functions', 'alarms']) $(`#view-${v}`).hidden = v !== view;
  for (const a of document.querySelectorAll('#tabs a')) a.classList.toggle('current', a.dataset.view === view);
  if (view !== 'logs') stopTail();
  views[view]?.show(route().params);
}

let views = {};

// start loads the signed-in console and restores the address's state.
async function start() {
  const { view, params } = route();
  await guard(loadGroups);
  if (view === 'logs') {
    if (params.get('q')) $('#query').value = params.get('q');
    if (params.get('range')) $('#range').value = params.get('range');
    if (params.get('range') === 'custom' && params.get('from') && params.get('to')) setCustom(Number(params.get('from')), Number(params.get('to')));
    if (params.get('tab')) selectTab(params.get('tab'));
    const g = params.get('group');
    const s = params.get('stream');
    if (g && s && state.groups.some((x) => x.log_group_id === g)) {
      state.open.add(g);
      await guard(() => loadStreams(g));
      await pickStream(g, s);
    }
  }
  showView(view);
}

// ---- theme --------------------------------------------------------------

const THEME_KEY = 'logtank.theme';

// applyTheme sets a chosen theme; without one the system's applies.
function applyTheme(theme) {
  if (theme) document.documentElement.dataset.theme = theme;
  else delete document.documentElement.dataset.theme;
}

// toggleTheme flips between dark and light and redraws the histogram,
// whose colours are read when it is drawn.
function toggleTheme() {
  const now = document.documentElement.dataset.theme || (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light');
  const next = now === 'dark' ? 'light' : 'dark';
  localStorage.setItem(THEME_KEY, next);
  applyTheme(next);
  if (state.buckets) drawHistogram();
}

function init() {
  applyTheme(localStorage.getItem(THEME_KEY));
  $('#theme').addEventListener('click', toggleTheme);
  $('#tz').textContent = Intl.DateTimeFormat().resolvedOptions().timeZone;
  views = initViews({ api, lts, projectID, guard, el, timeWindow, sqlChart, setRoute, InputError });
  views.alarms = initAlarms({ api, lts, projectID, domainID, guard, el, ask, InputError });
  hooks.onUnauthorized = (e) => {
    stopTail();
    saveSession(null);
    showSignedIn(null);
    showError(new ApiError(401, e.code, 'Your session has ended, sign in again'));
  };
  $('#login-form').addEventListener('submit', onLogin);
  $('#signout').addEventListener('click', onSignOut);
  $('#project').addEventListener('change', async (e) => {
    const s = loadSession();
    s.project = e.target.value;
    saveSession(s);
    closeStream();
    state.open.clear();
    state.streams.clear();
    await guard(loadGroups);
    showView(route().view);
  });
  $('#new-group').addEventListener('submit', createGroup);
  $('#search-form').addEventListener('submit', (e) => {
    e.preventDefault();
    $('#range').value.trim() !== 'custom' || $('#from').value ? runSearch() : showError(new InputError('Time range: pick both ends of a custom range'));
  });
  $('#timebar').addEventListener('submit', (e) => {
    e.preventDefault();
    runSearch();
  });
  $('#range').addEventListener('change', () => {
    if ($('#range').value === 'custom' && !$('#from').value) {
      const w = state.lastWindow || { start: Date.now() - 900e3, end: Date.now() };
      setCustom(w.start, w.end);
    }
    currentTab() === 'sql' ? runSQL() : runSearch();
  });
  for (const id of ['#from', '#to']) $(id).addEventListener('change', () => { $('#range').value = 'custom'; });
  $('#more').addEventListener('click', loadMore);
  $('#newer').addEventListener('click', loadNewer);
  $('#tail').addEventListener('click', () => (state.tail ? stopTail() : startTail()));
  $('#dl-csv').addEventListener('click', () => download('csv'));
  $('#dl-json').addEventListener('click', () => download('json'));
  $('#ctx-close').addEventListener('click', () => $('#context').close());
  $('#ctx-earlier').addEventListener('click', () => contextMore(true));
  $('#ctx-later').addEventListener('click', () => contextMore(false));
  $('#save-query').addEventListener('click', () => saveQuery('ORIGINALLOG'));
  $('#save-sql').addEventListener('click', () => saveQuery('VISUALIZATION'));
  $('#add-chart').addEventListener('click', addChart);
  $('#sql-form').addEventListener('submit', (e) => {
    e.preventDefault();
    runSQL();
  });
  $('#sql').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      runSQL();
    }
  });
  $('#sql-history').addEventListener('change', (e) => {
    if (e.target.value) $('#sql').value = e.target.value;
    e.target.value = '';
  });
  $('#chart-kind').addEventListener('change', () => state.sql.columns.length && renderSQL());
  for (const b of document.querySelectorAll('.subtabs button')) b.addEventListener('click', () => selectTab(b.dataset.tab));
  window.addEventListener('hashchange', () => showView(route().view));
  document.addEventListener('keydown', (e) => {
    const typing = /INPUT|TEXTAREA|SELECT/.test(document.activeElement.tagName);
    if (e.key === '/' && !typing && !$('#app').hidden) {
      e.preventDefault();
      $('#query').focus();
    } else if (e.key === 'Escape' && !typing) {
      clearError();
    }
  });
  const s = loadSession();
  showSignedIn(s);
  if (s) start();
}

init();
