// The console's other views: dashboards of SQL charts, a PromQL graph over
// the AOM metrics, and the functions with their versions and aliases.

export function initViews(ctx) {
  const { api, lts, projectID, guard, el, sqlChart, InputError } = ctx;
  const UNITS = { m: 60e3, h: 3600e3, d: 86400e3 };
  const parseRange = (v) => {
    const m = /^(\d+)([mhd])$/.exec(v.trim());
    if (!m || Number(m[1]) === 0) throw new InputError(`Time range: "${v}" is not a range like 15m, 1h, 24h or 7d`);
    const end = Date.now();
    return { start: end - Number(m[1]) * UNITS[m[2]], end };
  };

  // ---- dashboards ----
  const dash = { timer: null };
  const dashView = document.getElementById('view-dashboards');

  async function runChart(box, ch, win) {
    try {
      const r = await api('POST', lts(`/streams/${ch.log_stream_id}/struct-content/query`), {
        query: ch.sql, format: 'k-v', time_range: { start_time: win.start, end_time: win.end, sql_time_zone: Intl.DateTimeFormat().resolvedOptions().timeZone },
      });
      const rows = r.data.result || [];
      const columns = r.data.columns || (rows[0] ? Object.keys(rows[0]) : []);
      box.replaceChildren();
      box.dataset.rows = String(rows.length);
      if (ch.type === 'number') {
        box.append(el('div', { class: 'number', text: rows[0] ? String(rows[0][columns[columns.length - 1]]) : '–' }));
      } else if (ch.type === 'table') {
        box.append(el('table', { class: 'grid' }, el('tr', {}, ...columns.map((c) => el('th', { text: c }))),
          ...rows.map((row) => el('tr', {}, ...columns.map((c) => el('td', { text: row[c] ?? '' }))))));
      } else {
        const inner = el('div');
        box.append(inner);
        sqlChart(inner, columns, rows, ch.type);
      }
    } catch (e) {
      box.replaceChildren(el('p', { class: 'hint', text: `${e.code || ''} ${e.message}` }));
    }
  }

  async function showDashboards() {
    const range = dash.range || '1h';
    const controls = el('form', { class: 'inline', onsubmit: async (e) => {
      e.preventDefault();
      const title = e.target.title.value.trim();
      await guard(async () => {
        await api('POST', lts('/dashboard'), { title });
        await showDashboards();
      });
    } },
    el('label', {}, 'Last ', el('input', { id: 'dash-range', 'data-testid': 'dashboard-range', value: range, size: '6', onchange: (e) => { dash.range = e.target.value; showDashboards(); } })),
    el('label', {}, ' refresh ', el('select', { id: 'dash-refresh', 'data-testid': 'dashboard-refresh', onchange: (e) => setRefresh(Number(e.target.value)) },
      ...[['0', 'off'], ['10000', '10 s'], ['30000', '30 s'], ['60000', '1 min']].map(([v, t]) => { const o = el('option', { value: v, text: t }); if (Number(v) === (dash.every || 0)) o.selected = true; return o; }))),
    el('button', { type: 'button', 'data-testid': 'dashboard-reload', onclick: () => showDashboards() }, 'Refresh'),
    el('span', { class: 'spacer' }),
    el('input', { name: 'title', placeholder: 'new dashboard title', required: '', 'data-testid': 'dashboard-title' }),
    el('button', { type: 'submit', 'data-testid': 'dashboard-create' }, 'Create dashboard'));
    await guard(async () => {
      const win = parseRange(range);
      const [ds, cs] = await Promise.all([api('GET', lts('/dashboard')), api('GET', lts('/charts'))]);
      const charts = new Map((cs.data.charts || []).map((c) => [c.id, c]));
      const cards = (ds.data.results || []).map((d) => {
        const card = el('section', { class: 'card', 'data-testid': 'dashboard-item', 'data-id': d.id },
          el('h3', {}, el('span', { text: d.title }), el('span', { class: 'hint', text: d.group_name }), el('span', { class: 'spacer' }),
            el('button', { type: 'button', 'data-testid': 'dashboard-delete', onclick: () => deleteDashboard(d) }, 'Delete')));
        if (!d.charts.length) card.append(el('p', { class: 'hint', text: 'No charts yet: add one from a stream\'s SQL tab.' }));
        for (const id of d.charts) {
          const ch = charts.get(id);
          if (!ch) continue;
          const box = el('div', { class: 'chart', 'data-testid': 'dashboard-chart' }, el('p', { class: 'hint', text: 'Loading…' }));
          card.append(el('h4', { text: `${ch.title} — ${ch.log_stream_name}` }), box);
          runChart(box, ch, win);
        }
        return card;
      });
      dashView.replaceChildren(controls, el('div', { class: 'cards' }, ...cards));
    });
    if (!dashView.firstChild) dashView.append(controls);
  }

  function setRefresh(every) {
    dash.every = every;
    clearInterval(dash.timer);
    dash.timer = every ? setInterval(() => { if (!dashView.hidden) showDashboards(); }, every) : null;
  }

  async function deleteDashboard(d) {
    await guard(async () => {
      await api('DELETE', lts(`/dashboard?id=${encodeURIComponent(d.id)}&is_delete_charts=true`));
      await showDashboards();
    });
  }

  // ---- metrics ----
  const metricsView = document.getElementById('view-metrics');
  function showMetrics(params) {
    const input = el('input', { id: 'promql', 'data-testid': 'promql-input', size: '60', value: params.get('promql') || 'up', spellcheck: 'false' });
    const range = el('input', { 'data-testid': 'promql-range', value: params.get('range') || '1h', size: '6' });
    const chart = el('div', { class: 'chart', 'data-testid': 'promql-chart' });
    const run = async () => {
      await guard(async () => {
        const win = parseRange(range.value);
        ctx.setRoute('metrics', { promql: input.value, range: range.value });
        const step = Math.max(15, Math.round((win.end - win.start) / 1000 / 200));
        const qs = new URLSearchParams({ query: input.value, start: String(win.start / 1000), end: String(win.end / 1000), step: String(step) });
        const r = await api('GET', `/v1/${projectID()}/aom/api/v1/query_range?${qs}`);
        const series = (r.data.data && r.data.data.result) || [];
        if (!series.length) {
          chart.replaceChildren(el('p', { class: 'hint', text: 'No series.' }));
          return;
        }
        // One row per time, one column per series, for the line chart.
        const times = [...new Set(series.flatMap((s) => s.values.map((v) => v[0])))].sort((a, b) => a - b);
        const names = series.map((s) => Object.entries(s.metric).map(([k, v]) => `${k}=${v}`).join(',') || input.value);
        const rows = times.map((t) => {
          const row = { time: String(Math.round(t * 1000)) };
          series.forEach((s, i) => { const v = s.values.find((x) => x[0] === t); row[names[i]] = v ? v[1] : ''; });
          return row;
        });
        sqlChart(chart, ['time', ...names], rows, 'line');
      }, [input, document.createElement('pre')]);
    };
    metricsView.replaceChildren(
      el('form', { class: 'inline', onsubmit: (e) => { e.preventDefault(); run(); } }, el('label', {}, 'PromQL ', input), el('label', {}, 'last ', range),
        el('button', { type: 'submit', 'data-testid': 'promql-run' }, 'Graph')),
      chart);
    run();
  }

  // ---- functions ----
  const fnView = document.getElementById('view-functions');
  async function showFunctions() {
    await guard(async () => {
      const r = await api('GET', `/v2/${projectID()}/fgs/functions?maxitems=400`);
      const fns = r.data.functions || [];
      const rows = await Promise.all(fns.map(async (f) => {
        const urn = f.func_urn.replace(/:latest$/, '');
        const [v, a] = await Promise.all([
          api('GET', `/v2/${projectID()}/fgs/functions/${urn}/versions`).then((x) => x.data.versions || [], () => []),
          api('GET', `/v2/${projectID()}/fgs/functions/${urn}/aliases`).then((x) => (Array.isArray(x.data) ? x.data : x.data.aliases || []), () => []),
        ]);
        return el('tr', { 'data-testid': 'function-item' }, el('td', { text: f.func_name }), el('td', { text: f.runtime || '' }),
          el('td', { text: v.map((x) => x.version).join(', ') }),
          el('td', { text: a.map((x) => `${x.name} → ${x.version}` + Object.entries(x.additional_version_weights || {}).map(([k, w]) => ` (+${k}: ${w}%)`).join('')).join('; ') }));
      }));
      fnView.replaceChildren(fns.length ? el('table', { class: 'grid' }, el('tr', {}, ...['function', 'runtime', 'versions', 'aliases (weights)'].map((h) => el('th', { text: h }))), ...rows)
        : el('p', { class: 'hint', text: 'No functions in this project.' }));
    });
  }

  return {
    dashboards: { show: showDashboards },
    metrics: { show: showMetrics },
    functions: { show: showFunctions },
  };
}
