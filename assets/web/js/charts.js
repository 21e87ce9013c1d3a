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
    aspectScale: Math.cos((28.85 * Math.PI) / 180),
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
// pts: [{x, y, r, w, h}] in pixels (marker centre and radius, label size). Returns [{dx, dy}]
// (label centre relative to the marker centre; far: placed away from the marker, so it wants a
// leader line), trying near positions first, farther ones after.
export function placeLabels(pts, box) {
  const placed = [];
  const overlaps = (a, b) => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
  const markers = pts.map((p) => ({ x0: p.x - p.r, x1: p.x + p.r, y0: p.y - p.r, y1: p.y + p.r }));
  const order = pts.map((p, i) => i).sort((a, b) => (pts[b].prio || 0) - (pts[a].prio || 0));
  const out = new Array(pts.length);
  for (const i of order) {
    const p = pts[i];
    const g = 4;
    const cands = [];
    for (const k of [1, 2.2, 3.6]) {
      const rx = p.r + g * k + p.w / 2 + (k - 1) * 6, ry = p.r + g * k + p.h / 2 + (k - 1) * 6;
      for (const c of [[rx, 0], [-rx, 0], [0, -ry], [0, ry], [rx * 0.8, -ry * 0.85], [rx * 0.8, ry * 0.85], [-rx * 0.8, -ry * 0.85], [-rx * 0.8, ry * 0.85]]) cands.push([c[0], c[1], k > 1]);
    }
    let best = null;
    for (const [dx, dy, far] of cands) {
      const r = { x0: p.x + dx - p.w / 2, x1: p.x + dx + p.w / 2, y0: p.y + dy - p.h / 2, y1: p.y + dy + p.h / 2 };
      if (box && (r.x0 < box.x0 || r.x1 > box.x1 || r.y0 < box.y0 || r.y1 > box.y1)) continue;
      if (placed.some((q) => overlaps(q, r))) continue;
      if (markers.some((m, j) => j !== i && overlaps(m, r))) continue;
      best = { dx, dy, r, far };
      break;
    }
    if (!best) {
      const dx = p.r + g + p.w / 2;
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
