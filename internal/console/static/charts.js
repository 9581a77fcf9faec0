// Charts: the hits histogram and SQL results as line, bar or pie, drawn
// with the vendored uPlot (pie by hand on a canvas).
import uPlot from './vendor/uplot/uPlot.esm.js';

const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';

function axes() {
  const stroke = css('--muted');
  const grid = { stroke: css('--line'), width: 1 };
  return [{ stroke, grid, ticks: grid }, { stroke, grid, ticks: grid, size: 50 }];
}

// histogram draws buckets ({start, end, num}, times in ms) into el; a drag
// across it calls onZoom(startMS, endMS).
export function histogram(el, buckets, onZoom) {
  el.replaceChildren();
  const xs = buckets.map((b) => b.start / 1000);
  const ys = buckets.map((b) => b.num);
  const width = Math.max(el.clientWidth, 300);
  const opts = {
    width, height: 120, legend: { show: false },
    cursor: { drag: { x: true, y: false, setScale: false } },
    scales: { x: { time: true } },
    axes: axes(),
    series: [{}, { label: 'lines', fill: css('--accent'), stroke: css('--accent'), paths: uPlot.paths.bars({ size: [0.9, 40], align: 1 }), points: { show: false } }],
    hooks: {
      setSelect: [(u) => {
        if (u.select.width < 3) return;
        const a = u.posToVal(u.select.left, 'x');
        const b = u.posToVal(u.select.left + u.select.width, 'x');
        u.setSelect({ width: 0, height: 0 }, false);
        onZoom(Math.floor(a * 1000), Math.ceil(b * 1000));
      }],
    },
  };
  return new uPlot(opts, [xs, ys], el);
}

const palette = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#65a30d'];

// timeLike says whether values look like times: ISO text or epoch numbers.
function asTime(v) {
  if (/^\d{10,19}$/.test(v)) {
    const n = Number(v);
    if (n > 1e17) return n / 1e9; // ns
    if (n > 1e14) return n / 1e6; // us
    if (n > 1e11) return n / 1e3; // ms
    return n;
  }
  if (/^\d{4}-\d\d-\d\d[ T]\d\d:\d\d/.test(v)) {
    const t = Date.parse(v.replace(' ', 'T'));
    return Number.isNaN(t) ? null : t / 1000;
  }
  return null;
}

// sqlChart draws a result: the first column as x (times or categories),
// every numeric column as a series.
export function sqlChart(el, columns, rows, kind) {
  el.replaceChildren();
  el.dataset.kind = kind;
  if (rows.length === 0 || columns.length === 0) {
    el.textContent = 'No rows to chart.';
    el.dataset.series = '0';
    return;
  }
  const xcol = columns.length > 1 ? columns[0] : null;
  const ycols = columns.filter((c) => c !== xcol && rows.every((r) => r[c] === '' || r[c] === 'null' || !Number.isNaN(Number(r[c]))));
  el.dataset.series = String(ycols.length);
  if (ycols.length === 0) {
    el.textContent = 'No numeric column to chart.';
    return;
  }
  const labels = rows.map((r, i) => (xcol ? r[xcol] : String(i + 1)));
  if (kind === 'pie') return pie(el, labels, rows.map((r) => Number(r[ycols[0]]) || 0));
  const times = labels.map(asTime);
  const isTime = xcol && times.every((t) => t !== null);
  let order = rows.map((_, i) => i);
  if (isTime) order.sort((a, b) => times[a] - times[b]);
  const xs = order.map((i) => (isTime ? times[i] : i));
  const data = [xs, ...ycols.map((c) => order.map((i) => Number(rows[i][c])))];
  const ax = axes();
  if (!isTime) ax[0].values = (u, splits) => splits.map((s) => (Number.isInteger(s) && labels[order[s]] !== undefined ? labels[order[s]] : ''));
  const series = [{ label: xcol || '#' }, ...ycols.map((c, i) => ({
    label: c, stroke: palette[i % palette.length], width: 2,
    fill: kind === 'bar' ? palette[i % palette.length] + 'cc' : undefined,
    paths: kind === 'bar' ? uPlot.paths.bars({ size: [0.8 / ycols.length, 60], align: 0 }) : undefined,
    points: { show: kind !== 'bar' },
  }))];
  const opts = {
    width: Math.max(el.clientWidth, 300), height: 260, axes: ax, series,
    scales: { x: { time: !!isTime, range: isTime ? undefined : () => [-0.6, xs.length - 0.4] }, y: { range: (u, min, max) => [Math.min(0, min), max > 0 ? max * 1.05 : 1] } },
  };
  return new uPlot(opts, data, el);
}

function pie(el, labels, values) {
  const total = values.reduce((a, b) => a + Math.max(b, 0), 0) || 1;
  const canvas = document.createElement('canvas');
  const dpr = window.devicePixelRatio || 1;
  const size = 240;
  canvas.width = size * dpr;
  canvas.height = size * dpr;
  canvas.style.width = canvas.style.height = size + 'px';
  const ctx = canvas.getContext('2d');
  ctx.scale(dpr, dpr);
  let a = -Math.PI / 2;
  const legend = document.createElement('ul');
  legend.className = 'chips';
  values.forEach((v, i) => {
    const sweep = (Math.max(v, 0) / total) * Math.PI * 2;
    ctx.beginPath();
    ctx.moveTo(size / 2, size / 2);
    ctx.arc(size / 2, size / 2, size / 2 - 4, a, a + sweep);
    ctx.closePath();
    ctx.fillStyle = palette[i % palette.length];
    ctx.fill();
    a += sweep;
    const li = document.createElement('li');
    li.style.borderColor = palette[i % palette.length];
    li.textContent = `${labels[i]}: ${v} (${((v / total) * 100).toFixed(1)}%)`;
    legend.append(li);
  });
  el.append(canvas, legend);
}
