// walls: the command centre's video walls (上墙, admin and city only). For each wall of
// GET /api/v1/walls: a thumbnail of its screens (one cell per host at its viewport with the
// picture the host last reported, connected, fps, the tour step it shows; the hero's reason),
// the scene, the tour and the
// hero with its reason, live from the topic wall/<id>; the pins with who / why; the recent
// records; and the controls: put a hall or a camera on the wall (optionally pinned), pick a scene,
// unpin, pause / resume the tour (POST /api/v1/walls/{id}/show | unpin | tour).

import { t } from '../i18n.js';
import { get, post } from '../api.js';
import { esc, shortHall } from '../fmt.js';
import { panel, touch, emptyState } from '../ui.js';

// A scene's name in the page's language (the config's id when it has no translation).
function sceneName(s) {
  const k = 'walls.scene.' + s;
  return t(k) === k ? s : t(k);
}

function heroText(h, ctx) {
  if (!h) return t('walls.hero.none');
  const name = shortHall((ctx.hallById.get(h.hall) || {}).name || h.hall_name || h.hall);
  if (h.reason === 'operator') return t('walls.hero.operator', { hall: name, by: h.by });
  return t('walls.hero.alert', { sev: h.severity, hall: name, title: h.title }) + (h.cleared ? t('walls.cleared') : '');
}

// The wall's screens as a small picture: the hosts' viewports scaled into the box.
function thumb(w, state, ctx) {
  const vs = w.hosts.map((h) => h.viewport);
  const maxX = Math.max(1, ...vs.map((v) => v[0] + v[2])), maxY = Math.max(1, ...vs.map((v) => v[1] + v[3]));
  const cells = w.hosts.map((h) => {
    const [x, y, cw, ch] = h.viewport;
    const r = h.report || {};
    const st = h.connected ? (r.stale ? 'stale' : 'ok') : 'off';
    const info = h.connected ? `${r.fps !== undefined ? r.fps + ' fps' : ''}${r.wall_step !== undefined ? ' · ' + t('walls.step', { n: r.wall_step }) : ''}` : t('walls.host.off');
    // the host's own picture of what it shows (its fleet report's thumbnail, every 10 s)
    const img = h.connected && /^data:image\/png;base64,[A-Za-z0-9+/=]+$/.test(r.thumb || '') ? `<img class="wt-img" alt="" src="${r.thumb}">` : '';
    return `<div class="wt-cell wt-${st}" data-host="${esc(h.id)}" style="left:${(100 * x / maxX).toFixed(2)}%;top:${(100 * y / maxY).toFixed(2)}%;width:${(100 * cw / maxX).toFixed(2)}%;height:${(100 * ch / maxY).toFixed(2)}%">` +
      `${img}<b>${esc(h.id)}</b><small>${esc(info)}</small></div>`;
  }).join('');
  const hero = state && state.hero ? `<div class="wt-hero" data-wall-hero="${esc(state.hero.hall)}">${esc(heroText(state.hero, ctx))}</div>` : '';
  return `<div class="wall-thumb" style="aspect-ratio:${maxX}/${maxY};max-height:46vh">${cells}${hero}</div>`;
}

function pinsHtml(state, ctx) {
  const pins = (state && state.pins) || [];
  if (!pins.length) return `<div class="muted">${esc(t('walls.pins.none'))}</div>`;
  return `<ul class="wall-pins">${pins.map((p) => {
    const on = state.hero && state.hero.id === p.id;
    return `<li class="${on ? 'on' : ''}${p.cleared ? ' cleared' : ''}" data-pin="${esc(p.id)}">` +
      `<span class="prio">${esc(p.priority === 'operator' ? t('walls.show') : p.priority)}</span> ${esc(heroText(p, ctx))}` +
      `<small>${esc(p.camera || '')} · ${esc(p.by)}</small></li>`;
  }).join('')}</ul>`;
}

function logHtml(log) {
  if (!log || !log.length) return `<div class="muted">${esc(t('walls.log.none'))}</div>`;
  return `<table class="wall-log"><tbody>${log.slice(0, 12).map((r) =>
    `<tr><td>${esc(r.at.slice(11, 19))}</td><td>${esc(t('walls.act.' + r.action))}</td><td>${esc(r.who)}</td><td>${esc(r.what)}</td><td class="muted">${esc(r.why)}</td></tr>`).join('')}</tbody></table>`;
}

export function mount(root, ctx) {
  if (!['admin', 'city'].includes(ctx.me.role)) {
    root.innerHTML = emptyState(t('walls.forbidden'));
    return {};
  }
  root.innerHTML = '<div class="walls-list"></div>';
  const list = root.querySelector('.walls-list');
  const states = new Map();
  const unwatch = [];
  let walls = [];
  let stopped = false;

  const render = () => {
    for (const w of walls) {
      const el = list.querySelector(`[data-wall="${CSS.escape(w.id)}"]`);
      if (!el) continue;
      const s = states.get(w.id) || w;
      el.querySelector('.wall-body-thumb').innerHTML = thumb(w, s, ctx);
      el.querySelector('[data-f="scene"]').textContent = sceneName(s.scene);
      el.querySelector('[data-f="tour"]').textContent = s.tour.paused ? t('walls.tour.paused') : t('walls.step', { n: s.tour.step });
      el.querySelector('[data-f="hero"]').textContent = heroText(s.hero, ctx);
      el.querySelector('.wall-pins-box').innerHTML = pinsHtml(s, ctx);
      el.querySelector('.wall-log-box').innerHTML = logHtml(w.log);
      el.querySelector('[data-act="tour"]').textContent = s.tour.paused ? t('walls.tour.resume') : t('walls.tour.pause');
      el.querySelector('[data-act="tour"]').dataset.paused = s.tour.paused ? '1' : '0';
    }
  };

  const build = () => {
    list.innerHTML = '';
    if (!walls.length) { list.innerHTML = emptyState(t('walls.none')); return; }
    const hallOpts = ctx.halls.map((h) => `<option value="${esc(h.id)}">${esc(h.id + ' ' + shortHall(h.name))}</option>`).join('');
    for (const w of walls) {
      const p = panel({ title: `${w.name} · ${w.id}`, age: 'rest:walls', cls: 'p-wall' });
      p.el.dataset.wall = w.id;
      p.body.innerHTML =
        `<div class="wall-grid"><div class="wall-body-thumb"></div><div class="wall-side">` +
        `<dl class="wall-state"><dt>${esc(t('walls.scene'))}</dt><dd data-f="scene"></dd><dt>${esc(t('walls.tour'))}</dt><dd data-f="tour"></dd>` +
        `<dt>${esc(t('walls.hero'))}</dt><dd data-f="hero"></dd></dl>` +
        `<div class="wall-ctl ctl"><select data-f="hall">${hallOpts}</select><select data-f="camera"></select>` +
        `<label class="chk"><input type="checkbox" data-f="pin" checked> ${esc(t('walls.pin'))}</label>` +
        `<button class="btn primary small" data-act="show">${esc(t('walls.show'))}</button>` +
        `<button class="btn small" data-act="unpin">${esc(t('walls.unpin'))}</button>` +
        `<button class="btn small" data-act="tour"></button></div>` +
        `<div class="wall-ctl ctl"><select data-f="scene-pick">${w.scenes.map((s) => `<option value="${esc(s)}"${s === w.scene ? ' selected' : ''}>${esc(sceneName(s))}</option>`).join('')}</select>` +
        `<button class="btn small" data-act="scene">${esc(t('walls.scene.set'))}</button><span class="wall-msg muted"></span></div>` +
        `<h4>${esc(t('walls.pins'))}</h4><div class="wall-pins-box"></div></div></div>` +
        `<h4>${esc(t('walls.log'))}</h4><div class="wall-log-box"></div>`;
      list.append(p.el);
      const msg = p.body.querySelector('.wall-msg');
      // the hall's cameras: the hub picks the best (its waiting area) unless one is chosen
      const camSel = p.body.querySelector('[data-f="camera"]');
      const fillCams = () => {
        const h = ctx.hallById.get(p.body.querySelector('[data-f="hall"]').value) || {};
        camSel.innerHTML = `<option value="">${esc(t('walls.camera.best'))}</option>` +
          (h.cameras || []).map((c) => `<option value="${esc(c.id)}">${esc(c.name + ' · ' + c.id)}</option>`).join('');
      };
      p.body.querySelector('[data-f="hall"]').addEventListener('change', fillCams);
      fillCams();
      const act = async (path, body) => {
        msg.textContent = '';
        try {
          const r = await post(`/api/v1/walls/${encodeURIComponent(w.id)}/${path}`, body);
          if (r && r.wall) states.set(w.id, r.wall);
          render();
          load();
        } catch (e) {
          msg.textContent = e.message;
        }
      };
      p.body.querySelector('[data-act="show"]').onclick = () => {
        const pin = p.body.querySelector('[data-f="pin"]').checked;
        act('show', camSel.value ? { camera: camSel.value, pin } : { hall: p.body.querySelector('[data-f="hall"]').value, pin });
      };
      p.body.querySelector('[data-act="unpin"]').onclick = () => act('unpin', {});
      p.body.querySelector('[data-act="tour"]').onclick = (e) => act('tour', { paused: e.target.dataset.paused !== '1' });
      p.body.querySelector('[data-act="scene"]').onclick = () => act('show', { scene: p.body.querySelector('[data-f="scene-pick"]').value });
      unwatch.push(ctx.live.watch('wall/' + w.id, (tp) => { if (tp.data) { states.set(w.id, tp.data); render(); } }));
    }
  };

  const load = async () => {
    try {
      const r = await get('/api/v1/walls');
      if (stopped) return;
      const fresh = (r && r.walls) || [];
      const rebuild = fresh.map((w) => w.id).join() !== walls.map((w) => w.id).join();
      walls = fresh;
      touch('rest:walls');
      if (rebuild) build();
      render();
    } catch (e) {
      if (!stopped) list.innerHTML = emptyState(e.message);
    }
  };
  load();
  const timer = setInterval(load, 3000);
  return {
    unmount() { stopped = true; clearInterval(timer); for (const u of unwatch) u(); },
  };
}
