// charts: Apache ECharts helpers: one dark theme for every chart, charts that follow their
// container's size, the 临海 map (registered from /map/linhai.geojson), and a label placer that
// keeps hall names on the map from overlapping each other or the markers.

export const C = {
  text: '#cfe3ff',
  dim: '#7f9cc9',
  faint: '#3c5a8a',
  grid: 'rgba(90,140,220,0.16)',
  cyan: '#3ad1ff',
  blue: '#3b82f6',
  green: '#2bd67b',
  amber: '#ffb020',
  red: '#ff4d4f',
  grey: '#8a94a6',
  violet: '#a78bfa',
  closed: '#5b7bb0',
};

export const STATUS_COLOR = { ok: C.green, warn: C.amber, alert: C.red, offline: C.grey, closed: C.closed, unknown: C.grey };

export const FONT = '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif';

let dprScale = 1;
// Kiosk mode scales the 1920×1080 canvas with a CSS transform; charts render at that scale.
export function setRenderScale(s) { dprScale = s > 0 ? s : 1; }

export function echartsReady() { return typeof window.echarts === 'object' && window.echarts !== null; }

const all = new Set();
let ro = null;

// An ECharts instance on el that resizes with it. Returns the chart; dispose with disposeChart.
export function makeChart(el) {
  const chart = window.echarts.init(el, null, {
    renderer: 'canvas',
    devicePixelRatio: (window.devicePixelRatio || 1) * dprScale,
  });
  all.add(chart);
  if (!ro) {
    ro = new ResizeObserver((entries) => {
      for (const e of entries) {
        const c = window.echarts.getInstanceByDom(e.target);
        if (c && !c.isDisposed()) c.resize();
      }
    });
  }
  ro.observe(el);
  return chart;
}

export function disposeChart(chart) {
  if (!chart || chart.isDisposed()) return;
  if (ro) ro.unobserve(chart.getDom());
  all.delete(chart);
  chart.dispose();
}

// Common pieces of a cartesian chart.
export function baseOption() {
  return {
    backgroundColor: 'transparent',
    textStyle: { fontFamily: FONT, color: C.text },
    animationDuration: 400,
    animationDurationUpdate: 300,
    tooltip: {
      trigger: 'axis',
      backgroundColor: 'rgba(6,22,58,0.94)',
      borderColor: 'rgba(58,209,255,0.45)',
      textStyle: { color: C.text, fontFamily: FONT, fontSize: 13 },
      axisPointer: { lineStyle: { color: 'rgba(58,209,255,0.5)' } },
    },
    legend: {
      top: 0,
      right: 8,
      itemWidth: 14,
      itemHeight: 8,
      itemGap: 16,
      textStyle: { color: C.dim, fontSize: 13, fontFamily: FONT },
    },
    grid: { left: 8, right: 14, top: 34, bottom: 6, containLabel: true },
  };
}

export function timeAxis(min, max) {
  return {
    type: 'time',
    min,
    max,
    splitNumber: 6,
    axisLine: { lineStyle: { color: C.faint } },
    axisTick: { show: false },
    splitLine: { show: false },
    axisLabel: {
      color: C.dim,
      fontSize: 12,
      hideOverlap: true,
      formatter: (v) => {
        const d = new Date(v + 8 * 3600000);
        return `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
      },
    },
  };
}

export function valueAxis(extra = {}) {
  return {
    type: 'value',
    minInterval: 1,
    axisLine: { show: false },
    axisTick: { show: false },
    splitLine: { lineStyle: { color: C.grid, type: 'dashed' } },
    axisLabel: { color: C.dim, fontSize: 12 },
    nameTextStyle: { color: C.dim, fontSize: 12 },
    ...extra,
  };
}

// ---- the map ------------------------------------------------------------------------------

let mapPromise = null;
export const MAP = 'linhai';

// Fetch and register the 临海 outline once; resolves when echarts knows the map.
export function loadMap() {
  if (!mapPromise) {
    mapPromise = fetch('/map/linhai.geojson', { credentials: 'same-origin' })
      .then((r) => {
        if (!r.ok) throw new Error('map: ' + r.status);
        return r.json();
      })
      .then((geo) => {
        window.echarts.registerMap(MAP, geo);
        return geo;
      })
      .catch((e) => { mapPromise = null; throw e; });
  }
  return mapPromise;
}

// Two stacked geo components: a lit top layer and a darker copy shifted down (relief).
export function geoLayers({ silent = true, top = 8, bottom = 8, left = 12, right = 12 } = {}) {
  const common = {
    map: MAP,
    roam: false,
    // x = lng·cos(lat0): the real shape (the wall's projection too). With top, bottom, left and
    // right all set ECharts stretches the map to the box unless the aspect is preserved (the
    // dashboard's mainland read 1.34 wide per high instead of the real 1.91; issue 12 item 4).
    aspectScale: Math.cos((28.85 * Math.PI) / 180),
    preserveAspect: 'contain',
    top,
    bottom,
    left,
    right,
    label: { show: false },
    tooltip: { show: false },
  };
  return [
    {
      ...common,
      z: 3,
      silent,
      itemStyle: {
        areaColor: {
          type: 'radial', x: 0.5, y: 0.45, r: 0.8,
          colorStops: [{ offset: 0, color: '#1a5bb8' }, { offset: 1, color: '#0c2f6e' }],
        },
        borderColor: '#5cc8ff',
        borderWidth: 1.4,
        shadowColor: 'rgba(58,209,255,0.55)',
        shadowBlur: 18,
      },
      emphasis: { disabled: true },
      select: { disabled: true },
    },
    {
      ...common,
      z: 2,
      silent: true,
      top: top + 10,
      bottom: bottom - 10,
      itemStyle: { areaColor: '#061a44', borderColor: 'rgba(40,110,200,0.5)', borderWidth: 1 },
      emphasis: { disabled: true },
    },
  ];
}

// Place point labels so that none overlaps another label or marker and each stays in the box.
// pts: [{x, y, r, or?, w, h, prio}] in pixels (marker centre, the clearance its own label keeps,
// the radius other labels avoid (default r), label size). Returns
// [{dx, dy, far}]: the label centre relative to the marker centre; far: set apart from its marker,
// so it wants a leader line (which then crosses no other marker or label). Crowded points are
// placed first; near positions win over far ones, right over left over above/below.
export function placeLabels(pts, box) {
  const placed = [];
  const inter = (a, b) => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
  const orad = (q) => q.or ?? q.r;
  const rectDist = (r, x, y) => Math.hypot(Math.max(r.x0 - x, 0, x - r.x1), Math.max(r.y0 - y, 0, y - r.y1));
  const crowd = pts.map((p) => pts.filter((q) => q !== p && Math.hypot(q.x - p.x, q.y - p.y) < 90).length);
  const order = pts.map((p, i) => i).sort((a, b) => crowd[b] - crowd[a] || (pts[b].prio || 0) - (pts[a].prio || 0));
  // Candidate centres around a marker at clearance k (label edge or corner k px from the centre):
  // [dx, dy, preference], beside, diagonal, above/below, and shifted variants.
  const cands = (p, k) => {
    const w2 = p.w / 2, h2 = p.h / 2, d = k * 0.72;
    return [
      [k + w2, 0, 0], [k + w2, -h2, 1], [k + w2, h2, 1],
      [-(k + w2), 0, 2], [-(k + w2), -h2, 3], [-(k + w2), h2, 3],
      [d + w2, -(d + h2), 3.5], [d + w2, d + h2, 3.5],
      [w2 - p.r, -(k + h2), 4], [w2 - p.r, k + h2, 4],
      [0, -(k + h2), 4.5], [0, k + h2, 4.5],
      [-(d + w2), -(d + h2), 5], [-(d + w2), d + h2, 5],
      [-(w2 - p.r), -(k + h2), 5.5], [-(w2 - p.r), k + h2, 5.5],
    ];
  };
  const segHits = (x0, y0, x1, y1, i) => {
    for (let t = 0.15; t <= 1; t += 0.05) {
      const x = x0 + (x1 - x0) * t, y = y0 + (y1 - y0) * t;
      if (pts.some((q, j) => j !== i && Math.hypot(q.x - x, q.y - y) < orad(q) + 1)) return true;
      if (placed.some((r) => x > r.x0 && x < r.x1 && y > r.y0 && y < r.y1)) return true;
    }
    return false;
  };
  const out = new Array(pts.length);
  for (const i of order) {
    const p = pts[i];
    let best = null;
    for (const ring of [0, 1, 2, 3]) {
      const k = p.r + 4 + ring * 16;
      for (const [dx, dy, pref] of cands(p, k)) {
        const r = { x0: p.x + dx - p.w / 2, x1: p.x + dx + p.w / 2, y0: p.y + dy - p.h / 2, y1: p.y + dy + p.h / 2 };
        if (box && (r.x0 < box.x0 || r.x1 > box.x1 || r.y0 < box.y0 || r.y1 > box.y1)) continue;
        if (placed.some((q) => inter(q, r))) continue;
        if (pts.some((q, j) => j !== i && inter({ x0: q.x - orad(q), x1: q.x + orad(q), y0: q.y - orad(q), y1: q.y + orad(q) }, r))) continue;
        const far = ring > 0;
        if (far) {
          const nx = Math.max(r.x0, Math.min(p.x, r.x1)), ny = Math.max(r.y0, Math.min(p.y, r.y1));
          if (segHits(p.x, p.y, nx, ny, i)) continue;
        }
        // A label nearer to another marker than to its own reads as that marker's label.
        const own = rectDist(r, p.x, p.y);
        const misread = pts.some((q, j) => j !== i && rectDist(r, q.x, q.y) < own + 2);
        const score = ring * 10 + pref + (misread ? 25 : 0);
        if (!best || score < best.score) best = { dx, dy, r, far, score };
      }
    }
    if (!best) {
      const dx = p.r + 4 + p.w / 2;
      best = { dx, dy: 0, far: false, r: { x0: p.x + dx - p.w / 2, x1: p.x + dx + p.w / 2, y0: p.y - p.h / 2, y1: p.y + p.h / 2 } };
    }
    placed.push(best.r);
    out[i] = { dx: best.dx, dy: best.dy, far: best.far };
  }
  return out;
}

let measureCtx = null;
export function textWidth(s, font) {
  if (!measureCtx) measureCtx = document.createElement('canvas').getContext('2d');
  measureCtx.font = font;
  return measureCtx.measureText(s).width;
}
