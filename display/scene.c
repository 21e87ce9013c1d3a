/* scene: panels of a layout, their frames and shared formats; see scene.h. */
#include "scene.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef CW_SOURCE_DIR
#define CW_SOURCE_DIR "."
#endif

struct scene {
    const layout *l;
    panel *panels[LAYOUT_MAX_PANELS];
    int n;
};

static const panel_ops *const all_ops[] = {&panel_header_ops,  &panel_kpi_ops,    &panel_map_ops,
                                           &panel_ranking_ops, &panel_trend_ops,  &panel_alerts_ops,
                                           &panel_clock_ops,   &panel_cameras_ops};

scene *scene_create(const layout *l, void (*wake)(void *ud), void *ud, char *err, size_t errn)
{
    scene *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errn, "out of memory");
        return NULL;
    }
    s->l = l;
    size_t used = 0;
    err[0] = 0;
    for (int i = 0; i < l->npanels; i++) {
        const layout_panel *lp = &l->panels[i];
        if (!layout_panel_shown(l, lp)) continue; /* another scene's */
        const panel_ops *ops = NULL;
        for (size_t k = 0; k < sizeof all_ops / sizeof all_ops[0]; k++)
            if (!strcmp(all_ops[k]->type, lp->type)) ops = all_ops[k];
        if (!ops) continue;
        panel *p = calloc(1, sizeof *p);
        if (!p) goto fail;
        p->ops = ops;
        p->lp = lp;
        p->l = l;
        p->r = lp->r;
        p->wake = wake;
        p->wake_ud = ud;
        snprintf(p->title, sizeof p->title, "%s",
                 lp->title ? lp->title
                 : ops->default_title
                     ? (l->lang == LAYOUT_LANG_EN && ops->default_title_en ? ops->default_title_en
                                                                           : ops->default_title)
                     : "");
        float sc = l->scale;
        if (ops->default_title) {
            float pad = roundf(12 * sc), bar = roundf(38 * sc);
            p->c = (layout_rect){p->r.x + pad, p->r.y + bar + roundf(6 * sc), p->r.w - 2 * pad,
                                 p->r.h - bar - roundf(6 * sc) - pad};
        } else {
            p->c = p->r;
        }
        s->panels[s->n++] = p;
        char perr[400] = "";
        if (ops->create && ops->create(p, perr, sizeof perr) < 0) {
            if (used < errn)
                used += (size_t)snprintf(err + used, errn - used, "%s:%d: panels[%d].%s\n", l->path,
                                         lp->line, i, perr);
        }
    }
    if (err[0]) goto fail;
    return s;
fail:
    if (!err[0]) snprintf(err, errn, "out of memory");
    scene_destroy(s);
    return NULL;
}

void scene_destroy(scene *s)
{
    if (!s) return;
    for (int i = 0; i < s->n; i++) {
        panel *p = s->panels[i];
        if (p->ops->destroy) p->ops->destroy(p);
        free(p);
    }
    free(s);
}

static void corner(draw_t *d, float x, float y, float dx, float dy, float len, float th, uint32_t c)
{
    draw_rect(d, dx > 0 ? x : x - len, dy > 0 ? y : y - th, len, th, c);
    draw_rect(d, dx > 0 ? x : x - th, dy > 0 ? y : y - len, th, len, c);
}

static void frame_static(panel *p, scene_frame *f)
{
    draw_t *d = f->d;
    float s = f->s, x = p->r.x, y = p->r.y, w = p->r.w, h = p->r.h;
    draw_rect_vgrad(d, x, y, w, h, COL_PANEL_TOP, COL_PANEL_BOT);
    draw_frame(d, x, y, w, h, fmaxf(1, roundf(s)), COL_BORDER);
    float len = roundf(16 * s), th = fmaxf(2, roundf(2 * s));
    uint32_t ac = COL_ACCENT;
    corner(d, x, y, 1, 1, len, th, ac);
    corner(d, x + w, y, -1, 1, len, th, ac);
    corner(d, x, y + h, 1, -1, len, th, ac);
    corner(d, x + w, y + h, -1, -1, len, th, ac);

    float bar = roundf(38 * s), cy = y + bar / 2 + roundf(2 * s);
    draw_rect_hgrad(d, x + th, y + th, w * 0.6f, bar - th, DRAW_RGBA(40, 120, 200, 70),
                    DRAW_RGBA(40, 120, 200, 0));
    draw_rect(d, x + roundf(12 * s), cy - roundf(9 * s), roundf(4 * s), roundf(18 * s), ac);
    draw_rect_hgrad(d, x + th, y + bar, w - 2 * th, fmaxf(1, roundf(s)), draw_fade(ac, 0.55f),
                    draw_fade(ac, 0.0f));
    text_draw(f->t, TEXT_BOLD, 19 * s, x + roundf(24 * s), cy, TEXT_MIDDLE, COL_TEXT, p->title);
}

/* The title bar's data state; see the file comment of scene.h. */
static void frame_live(panel *p, scene_frame *f)
{
    float s = f->s, x = p->r.x, y = p->r.y, w = p->r.w;
    float bar = roundf(38 * s), cy = y + bar / 2 + roundf(2 * s);
    if (!p->ops->data_ms) return;
    int64_t at = p->ops->data_ms(p, f);
    float rx = x + w - roundf(14 * s);
    char age[64], buf[128];
    if (f->stale) {
        scene_data_as_of(f, buf, sizeof buf);
        float tw =
            text_draw(f->t, TEXT_REGULAR, 13 * s, rx, cy, TEXT_RIGHT | TEXT_MIDDLE, COL_STALE, buf);
        scene_pill(f, rx - tw - roundf(8 * s), cy - roundf(10 * s), roundf(20 * s), COL_STALE,
                   DRAW_RGBA(255, 255, 255, 255), scene_conn_badge(f), TEXT_RIGHT);
    } else if (at) {
        scene_ago(f, f->real_ms - at, age, sizeof age);
        snprintf(buf, sizeof buf, scene_tr(f, "实时 · 变化于 %s", "live · changed %s"), age);
        text_draw(f->t, TEXT_REGULAR, 13 * s, rx, cy, TEXT_RIGHT | TEXT_MIDDLE, COL_TEXT_FAINT,
                  buf);
    } else {
        text_draw(f->t, TEXT_REGULAR, 13 * s, rx, cy, TEXT_RIGHT | TEXT_MIDDLE, COL_TEXT_FAINT,
                  scene_tr(f, "等待数据", "waiting for data"));
    }
}

#define GROUP_STATIC 0
#define GROUP_CACHED(i) (1 + (i))
#define GROUP_ANIM(i) (1 + LAYOUT_MAX_PANELS + (i))

void scene_draw_static(scene *s, scene_frame *f)
{
    text_dump_clear(f->t, GROUP_STATIC);
    text_dump_group(f->t, GROUP_STATIC);
    for (int i = 0; i < s->n; i++) {
        panel *p = s->panels[i];
        text_set_panel(f->t, p->ops->type);
        if (p->ops->default_title) frame_static(p, f);
        if (p->ops->draw_static) p->ops->draw_static(p, f);
        draw_flush(f->d);
        p->valid = false;
    }
    text_set_panel(f->t, NULL);
}

int scene_draw_cached(scene *s, scene_frame *f, GLuint base, GLuint layer, layout_rect vp)
{
    int n = 0;
    uint64_t key =
        f->m->version * 4 + (uint64_t)(f->real_ms / 1000) * 2654435761u * 4 + (f->stale ? 1 : 0);
    for (int i = 0; i < s->n; i++) {
        panel *p = s->panels[i];
        if (!p->ops->draw && !(p->ops->default_title && p->ops->data_ms)) continue;
        if (p->valid && p->key == key) continue;
        /* throttled while live, unless the first data would show late; never while STALE: the
         * data cannot change then, only "数据截至 N秒前", which must be the same N in every panel
         * (a 2-s throttle let the trend's age lag the header's by 2-3 s) */
        bool empty = !f->m->city || !f->m->registry;
        if (p->valid && !f->exact && !f->stale && !p->drawn_stale && !p->drawn_empty &&
            f->real_ms - p->drawn_ms < p->ops->refresh_ms)
            continue;
        p->drawn_stale = f->stale;
        p->drawn_empty = empty;
        /* the panel's part of the viewport, in framebuffer pixels (GL rows go up) */
        float x0 = fmaxf(p->r.x, vp.x), y0 = fmaxf(p->r.y, vp.y);
        float x1 = fminf(p->r.x + p->r.w, vp.x + vp.w), y1 = fminf(p->r.y + p->r.h, vp.y + vp.h);
        p->valid = true;
        p->key = key;
        p->drawn_ms = f->real_ms;
        if (x1 <= x0 || y1 <= y0) continue;
        int fx0 = (int)floorf(x0 - vp.x), fx1 = (int)ceilf(x1 - vp.x);
        int fy0 = (int)floorf(vp.h - (y1 - vp.y)), fy1 = (int)ceilf(vp.h - (y0 - vp.y));
        glBindFramebuffer(GL_READ_FRAMEBUFFER, layer);
        glBindFramebuffer(GL_DRAW_FRAMEBUFFER, base);
        glBlitFramebuffer(fx0, fy0, fx1, fy1, fx0, fy0, fx1, fy1, GL_COLOR_BUFFER_BIT, GL_NEAREST);
        glBindFramebuffer(GL_FRAMEBUFFER, base);
        draw_begin(f->d, vp.x, vp.y, (int)vp.w, (int)vp.h);
        draw_clip(f->d, p->r.x, p->r.y, p->r.w, p->r.h);
        text_dump_clear(f->t, GROUP_CACHED(i));
        text_dump_group(f->t, GROUP_CACHED(i));
        text_set_panel(f->t, p->ops->type);
        if (p->ops->default_title) frame_live(p, f);
        if (p->ops->draw) p->ops->draw(p, f);
        draw_clip_off(f->d);
        if (p->ops->cached_title_only)
            scene_damage(f, p->r.x, p->r.y, p->r.w, p->c.y - p->r.y);
        else
            scene_damage(f, p->r.x, p->r.y, p->r.w, p->r.h);
        n++;
    }
    text_set_panel(f->t, NULL);
    return n;
}

void scene_draw_anim(scene *s, scene_frame *f)
{
    for (int i = 0; i < s->n; i++) {
        panel *p = s->panels[i];
        if (!p->ops->draw_anim) continue;
        text_dump_clear(f->t, GROUP_ANIM(i));
        text_dump_group(f->t, GROUP_ANIM(i));
        text_set_panel(f->t, p->ops->type);
        p->ops->draw_anim(p, f);
        draw_flush(f->d);
    }
    text_set_panel(f->t, NULL);
}

bool scene_animating(scene *s, scene_frame *f)
{
    for (int i = 0; i < s->n; i++)
        if (s->panels[i]->ops->animating && s->panels[i]->ops->animating(s->panels[i], f))
            return true;
    return false;
}

bool scene_ready(scene *s)
{
    for (int i = 0; i < s->n; i++)
        if (s->panels[i]->ops->ready && !s->panels[i]->ops->ready(s->panels[i])) return false;
    return true;
}

json_t *scene_camera_report(scene *s)
{
    json_t *o = json_object();
    for (int i = 0; i < s->n; i++)
        if (s->panels[i]->ops->report) s->panels[i]->ops->report(s->panels[i], o);
    return o;
}

void scene_damage(scene_frame *f, float x, float y, float w, float h)
{
    if (f->damage) f->damage(f->damage_ud, x, y, w, h, false);
}

void scene_damage_opaque(scene_frame *f, float x, float y, float w, float h)
{
    if (f->damage) f->damage(f->damage_ud, x, y, w, h, true);
}

uint32_t scene_status_color(int st)
{
    switch (st) {
    case MODEL_ST_OK:
        return COL_OK;
    case MODEL_ST_WARN:
        return COL_WARN;
    case MODEL_ST_ALERT:
        return COL_ALERT;
    case MODEL_ST_OFFLINE:
        return COL_OFFLINE;
    case MODEL_ST_CLOSED:
        return COL_CLOSED;
    default:
        return DRAW_RGBA(100, 116, 140, 255);
    }
}

const char *scene_tr(const scene_frame *f, const char *zh, const char *en)
{
    return f->l && f->l->lang == LAYOUT_LANG_EN ? en : zh;
}

void scene_ago(const scene_frame *f, int64_t ms, char *out, size_t n)
{
    if (!f->l || f->l->lang != LAYOUT_LANG_EN) {
        fmt_ago(ms, out, n);
        return;
    }
    int64_t sec = ms < 0 ? 0 : ms / 1000;
    if (sec < 60)
        snprintf(out, n, "%lld s ago", (long long)sec);
    else if (sec < 3600)
        snprintf(out, n, "%lld min ago", (long long)(sec / 60));
    else if (sec < 86400)
        snprintf(out, n, "%lld h ago", (long long)(sec / 3600));
    else
        snprintf(out, n, "%lld d ago", (long long)(sec / 86400));
}

const char *scene_conn_badge(const scene_frame *f)
{
    return f->m->auth_failed ? scene_tr(f, "认证失败", "AUTH FAILED")
                             : scene_tr(f, "断开", "STALE");
}

void scene_data_as_of(const scene_frame *f, char *out, size_t n)
{
    if (!f->m->known_ms) {
        snprintf(out, n, "%s", scene_tr(f, "尚无数据", "no data yet"));
        return;
    }
    char age[48];
    scene_ago(f, f->real_ms - f->m->known_ms, age, sizeof age);
    snprintf(out, n, scene_tr(f, "数据截至 %s", "data as of %s"), age);
}

const char *scene_status_label(const scene_frame *f, int st)
{
    switch (st) {
    case MODEL_ST_OK:
        return scene_tr(f, "正常", "ok");
    case MODEL_ST_WARN:
        return scene_tr(f, "预警", "warning");
    case MODEL_ST_ALERT:
        return scene_tr(f, "告警", "alert");
    case MODEL_ST_OFFLINE:
        return scene_tr(f, "离线", "offline");
    case MODEL_ST_CLOSED:
        return scene_tr(f, "休息", "closed");
    default:
        return scene_tr(f, "未知", "unknown");
    }
}

uint32_t scene_severity_color(int sev)
{
    switch (sev) {
    case 1:
        return DRAW_RGBA(255, 56, 96, 255);
    case 2:
        return DRAW_RGBA(255, 112, 67, 255);
    case 3:
        return COL_WARN;
    case 4:
        return DRAW_RGBA(64, 158, 255, 255);
    default:
        return COL_OFFLINE;
    }
}

int scene_waiting_class(double waiting, const double th[3])
{
    static const double def[3] = {1, 20, 50};
    const double *t = th ? th : def;
    return waiting >= t[2] ? 3 : waiting >= t[1] ? 2 : waiting >= t[0] ? 1 : 0;
}

uint32_t scene_waiting_color(int cls)
{
    switch (cls) {
    case 1:
        return DRAW_RGBA(46, 200, 140, 255); /* low: green */
    case 2:
        return DRAW_RGBA(255, 184, 0, 255); /* some: amber */
    case 3:
        return DRAW_RGBA(255, 77, 79, 255); /* many: red */
    default:
        return DRAW_RGBA(30, 86, 160, 255); /* none: the map's blue */
    }
}

const char *scene_waiting_name(int cls)
{
    static const char *const names[] = {"none", "low", "some", "many"};
    return cls >= 0 && cls < SCENE_WAITING_CLASSES ? names[cls] : "none";
}

float scene_pill(scene_frame *f, float x, float y, float h, uint32_t bg, uint32_t fg,
                 const char *text, int flags)
{
    float size = roundf(h * 0.68f);
    float tw = text_width(f->t, TEXT_BOLD, size, 0, text);
    float w = roundf(tw + h * 0.8f);
    if ((flags & TEXT_HALIGN) == TEXT_RIGHT)
        x -= w;
    else if ((flags & TEXT_HALIGN) == TEXT_CENTER)
        x -= w / 2;
    draw_rrect(f->d, x, y, w, h, h / 2, bg, 0, 0);
    text_draw(f->t, TEXT_BOLD, size, x + w / 2, y + h / 2, TEXT_CENTER | TEXT_MIDDLE, fg, text);
    return w;
}

const char *scene_asset_path(const char *rel, char *out, size_t n)
{
    const char *env = getenv("CW_ASSET_DIR");
    if (rel[0] == '/') {
        snprintf(out, n, "%s", rel);
        return out;
    }
    if (env && *env) {
        snprintf(out, n, "%s/%s", env, rel);
        return out;
    }
    char exe[2048];
    ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (k > 0) {
        exe[k] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) *slash = 0;
        static const char *up[] = {"/../assets/", "/../../assets/"};
        for (size_t i = 0; i < sizeof up / sizeof up[0]; i++) {
            snprintf(out, n, "%s%s%s", exe, up[i], rel);
            if (access(out, R_OK) == 0) return out;
        }
    }
    snprintf(out, n, "%s/assets/%s", CW_SOURCE_DIR, rel);
    return out;
}
