/* panel_cameras: the camera wall -- a grid of live tiles touring (轮巡) the city's online
 * cameras, and a hero slot that an alert on a window or camera takes over (with its hall's
 * KPIs) for pin_s seconds.
 *
 * Streams: small tiles play the camera's sub stream, the hero its main stream (each falls
 * back to the other when only one is announced). Tiles are opened through video.h; the
 * next tour group is opened preroll_s before its switch (tour.h). A stream no tile needs any
 * more is closed at once. Frames are converted from I420 in shaders/yuv.frag.
 *
 * A tile whose stream is in VIDEO_NO_SIGNAL never shows its frozen frame: it shows NO SIGNAL
 * with the age of its last frame. Every tile has a caption (hall + camera name).
 *
 * Options: cols, rows (grid, default 4 x 4), hero: [col, row, cols, rows] in grid cells or
 * false (default [0, 0, 2, 2]), dwell_s 5..30 (default 10), pin_s 10..600 (default 60),
 * preroll_s 1..10 (default 3). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gl.h"
#include "scene.h"
#include "tour.h"
#include "hero.h"
#include "video.h"

#define MAX_STREAMS 96
#define MAX_IDS 1024

typedef struct stream {
    char cam[64];
    char url[512];
    bool main;
    video_t *v;
    bool wanted;
} stream;

/* What a tile showed when last drawn: it is drawn again only when this changes (a new video
 * frame, another camera or state, the NO SIGNAL age's second). */
typedef struct shown {
    bool valid;
    int id;
    const void *v;
    int state;
    int64_t frame_ts, age_s;
    char alert[256]; /* the hero's reason: a pin id, or on a --wall host the band's text */
} shown;

typedef struct cam_priv {
    int cols, rows;
    int hero[4];
    bool has_hero;
    tour tour;
    char hero_title[160]; /* the pinning alert's title, kept after the alert resolves */
    json_t *hero_band;    /* the hero's reason as a text-dump item, re-recorded on the frames
                             that do not redraw the hero (the overlay layer keeps only what a
                             frame drew) */
    stream streams[MAX_STREAMS];
    char *ids[MAX_IDS]; /* interned camera ids: tour numbers index this */
    int nids;
    GLuint prog, vao, vbo;
    GLint u_scale, u_offset, u_y, u_u, u_v, u_alpha;
    bool video_ok;
    model *m;                  /* for the ready callback */
    int neligible, slots;      /* as of the last overlay */
    int arrangement;           /* hero pinned | no camera, as last drawn */
    shown shown[1 + TOUR_MAX]; /* [0] the hero, [1 + k] the k-th tile */
} cam_priv;

static int video_users;

static int opt_int(json_t *o, const char *key, int lo, int hi, int def, char *err, size_t errn,
                   int *out)
{
    json_t *v = json_object_get(o, key);
    *out = def;
    if (!v) return 0;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        snprintf(err, errn, "%s: must be an integer from %d to %d", key, lo, hi);
        return -1;
    }
    *out = (int)json_integer_value(v);
    return 0;
}

static int cam_create(panel *p, char *err, size_t errn)
{
    cam_priv *c = calloc(1, sizeof *c);
    if (!c) return -1;
    p->priv = c;
    json_t *o = p->lp->opts;
    int dwell, pin, pre;
    if (opt_int(o, "cols", 1, 8, 4, err, errn, &c->cols) < 0 ||
        opt_int(o, "rows", 1, 8, 4, err, errn, &c->rows) < 0 ||
        opt_int(o, "dwell_s", 5, 30, 10, err, errn, &dwell) < 0 ||
        opt_int(o, "pin_s", 10, 600, 60, err, errn, &pin) < 0 ||
        opt_int(o, "preroll_s", 1, 10, 3, err, errn, &pre) < 0)
        return -1;
    json_t *h = json_object_get(o, "hero");
    c->has_hero = true;
    c->hero[0] = c->hero[1] = 0;
    c->hero[2] = c->hero[3] = c->cols >= 2 && c->rows >= 2 ? 2 : 1;
    if (json_is_false(h)) {
        c->has_hero = false;
    } else if (h) {
        bool ok = json_is_array(h) && json_array_size(h) == 4;
        for (int i = 0; ok && i < 4; i++) {
            json_t *v = json_array_get(h, (size_t)i);
            ok = json_is_integer(v);
            if (ok) c->hero[i] = (int)json_integer_value(v);
        }
        if (!ok || c->hero[0] < 0 || c->hero[1] < 0 || c->hero[2] < 1 || c->hero[3] < 1 ||
            c->hero[0] + c->hero[2] > c->cols || c->hero[1] + c->hero[3] > c->rows) {
            snprintf(err, errn,
                     "hero: must be [col, row, cols, rows] inside the %dx%d grid, or false",
                     c->cols, c->rows);
            return -1;
        }
    }
    tour_init(&c->tour, dwell * 1000, pin * 1000, pre * 1000);
    char e[2048];
    c->prog = gl_program_load("yuv.vert", "yuv.frag", e, sizeof e);
    if (!c->prog) {
        snprintf(err, errn, "shaders: %s", e);
        return -1;
    }
    c->u_scale = glGetUniformLocation(c->prog, "u_scale");
    c->u_offset = glGetUniformLocation(c->prog, "u_offset");
    c->u_y = glGetUniformLocation(c->prog, "u_y");
    c->u_u = glGetUniformLocation(c->prog, "u_u");
    c->u_v = glGetUniformLocation(c->prog, "u_v");
    c->u_alpha = glGetUniformLocation(c->prog, "u_alpha");
    glGenVertexArrays(1, &c->vao);
    glBindVertexArray(c->vao);
    glGenBuffers(1, &c->vbo);
    glBindBuffer(GL_ARRAY_BUFFER, c->vbo);
    glBufferData(GL_ARRAY_BUFFER, sizeof(float) * 16, NULL, GL_STREAM_DRAW);
    glEnableVertexAttribArray(0);
    glVertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, sizeof(float) * 4, (void *)0);
    glEnableVertexAttribArray(1);
    glVertexAttribPointer(1, 2, GL_FLOAT, GL_FALSE, sizeof(float) * 4, (void *)(sizeof(float) * 2));
    glBindVertexArray(0);
    if (video_users++ == 0 && video_init() < 0) {
        fprintf(stderr, "citywall-wall: video: cannot start the camera pipeline module\n");
        video_users--;
        c->video_ok = false;
        return 0;
    }
    c->video_ok = true;
    return 0;
}

static void cam_destroy(panel *p)
{
    cam_priv *c = p->priv;
    if (!c) return;
    for (int i = 0; i < MAX_STREAMS; i++)
        if (c->streams[i].v) video_close(c->streams[i].v);
    if (c->video_ok && --video_users == 0) video_shutdown();
    if (c->prog) glDeleteProgram(c->prog);
    if (c->vbo) glDeleteBuffers(1, &c->vbo);
    if (c->vao) glDeleteVertexArrays(1, &c->vao);
    for (int i = 0; i < c->nids; i++)
        free(c->ids[i]);
    json_decref(c->hero_band);
    free(c);
}

static int intern(cam_priv *c, const char *id)
{
    for (int i = 0; i < c->nids; i++)
        if (!strcmp(c->ids[i], id)) return i;
    if (c->nids >= MAX_IDS) return -1;
    c->ids[c->nids] = strdup(id);
    return c->ids[c->nids] ? c->nids++ : -1;
}

static const model_camera *cam_of(const cam_priv *c, model *m, int id)
{
    if (id < 0 || id >= c->nids) return NULL;
    int i = model_camera_index(m, c->ids[id]);
    return i >= 0 ? &m->cams[i] : NULL;
}

static const char *url_of(const model_camera *mc, bool main)
{
    if (main) return mc->main_url[0] ? mc->main_url : mc->sub_url;
    return mc->sub_url[0] ? mc->sub_url : mc->main_url;
}

static void wake_cb(void *ud)
{
    panel *p = ud;
    if (p->wake) p->wake(p->wake_ud);
}

/* The stream for camera id (main or sub), opened when not open yet; NULL without a URL. */
static stream *want(panel *p, cam_priv *c, model *m, int id, bool main)
{
    const model_camera *mc = cam_of(c, m, id);
    if (!mc || !c->video_ok) return NULL;
    const char *url = url_of(mc, main);
    if (!url[0]) return NULL;
    stream *free_slot = NULL;
    for (int i = 0; i < MAX_STREAMS; i++) {
        stream *s = &c->streams[i];
        if (s->v && s->main == main && !strcmp(s->cam, mc->id)) {
            if (strcmp(s->url, url) != 0) { /* the camera moved: reopen */
                video_close(s->v);
                s->v = NULL;
                free_slot = s;
                break;
            }
            s->wanted = true;
            return s;
        }
        if (!s->v && !free_slot) free_slot = s;
    }
    if (!free_slot) return NULL;
    free_slot->v = video_open(url, wake_cb, p);
    if (!free_slot->v) return NULL;
    snprintf(free_slot->cam, sizeof free_slot->cam, "%s", mc->id);
    snprintf(free_slot->url, sizeof free_slot->url, "%s", url);
    free_slot->main = main;
    free_slot->wanted = true;
    return free_slot;
}

static stream *find_stream(cam_priv *c, const char *cam, bool main)
{
    for (int i = 0; i < MAX_STREAMS; i++)
        if (c->streams[i].v && c->streams[i].main == main && !strcmp(c->streams[i].cam, cam))
            return &c->streams[i];
    return NULL;
}

typedef struct ready_ctx {
    cam_priv *c;
    model *m;
} ready_ctx;

static bool stream_ready(int id, void *ud)
{
    ready_ctx *r = ud;
    const model_camera *mc = cam_of(r->c, r->m, id);
    if (!mc) return true;
    stream *s = find_stream(r->c, mc->id, false);
    return !s || video_last_frame_age_ms(s->v) >= 0 || video_state(s->v) == VIDEO_NO_SIGNAL;
}

static void draw_video(panel *p, scene_frame *f, stream *s, float x, float y, float w, float h)
{
    cam_priv *c = p->priv;
    unsigned tex[3];
    int vw, vh;
    video_textures(s->v, tex, &vw, &vh);
    if (!tex[0] || vw <= 0 || vh <= 0) return;
    /* cover: crop the frame to the tile's aspect */
    float fa = (float)vw / (float)vh, ta = w / h, u0 = 0, v0 = 0, u1 = 1, v1 = 1;
    if (fa > ta) {
        float k = ta / fa;
        u0 = (1 - k) / 2;
        u1 = 1 - u0;
    } else {
        float k = fa / ta;
        v0 = (1 - k) / 2;
        v1 = 1 - v0;
    }
    const float q[16] = {x, y, u0, v0, x + w, y, u1, v0, x, y + h, u0, v1, x + w, y + h, u1, v1};
    draw_flush(f->d);
    float sc[2], of[2];
    draw_get_projection(f->d, sc, of);
    glUseProgram(c->prog);
    glUniform2f(c->u_scale, sc[0], sc[1]);
    glUniform2f(c->u_offset, of[0], of[1]);
    glUniform1f(c->u_alpha, 1.0f);
    for (int i = 0; i < 3; i++) {
        glActiveTexture(GL_TEXTURE0 + (GLenum)i);
        glBindTexture(GL_TEXTURE_2D, tex[i]);
    }
    glUniform1i(c->u_y, 0);
    glUniform1i(c->u_u, 1);
    glUniform1i(c->u_v, 2);
    glBindVertexArray(c->vao);
    glBindBuffer(GL_ARRAY_BUFFER, c->vbo);
    glBufferSubData(GL_ARRAY_BUFFER, 0, sizeof q, q);
    glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
    glBindVertexArray(0);
    glActiveTexture(GL_TEXTURE0);
}

static void tile(panel *p, scene_frame *f, int id, bool hero, float x, float y, float w, float h)
{
    cam_priv *c = p->priv;
    draw_t *d = f->d;
    float s = f->s;
    model *m = f->m;
    const model_camera *mc = cam_of(c, m, id);
    stream *st = mc ? find_stream(c, mc->id, hero) : NULL;
    bool playing = st && video_state(st->v) == VIDEO_PLAYING && video_update(st->v);
    if (!playing) draw_rect(d, x, y, w, h, DRAW_RGBA(2, 8, 20, 255)); /* video covers it */
    float fs = roundf(fminf(13 * s, h * 0.12f));
    if (!mc) {
        draw_frame(d, x, y, w, h, 1, DRAW_RGBA(30, 70, 120, 160));
        text_draw(f->t, TEXT_REGULAR, fs, x + w / 2, y + h / 2, TEXT_CENTER | TEXT_MIDDLE,
                  COL_TEXT_FAINT, scene_tr(f, "无信号源", "no source"));
        return;
    }
    int state = st ? video_state(st->v) : VIDEO_NO_SIGNAL;
    bool live = playing;
    if (live) draw_video(p, f, st, x, y, w, h);
    if (!live) {
        char age[48] = "", buf[96];
        int64_t a = st ? video_last_frame_age_ms(st->v) : -1;
        if (state == VIDEO_CONNECTING && st) {
            text_draw(f->t, TEXT_REGULAR, fs, x + w / 2, y + h / 2, TEXT_CENTER | TEXT_MIDDLE,
                      COL_TEXT_DIM, scene_tr(f, "连接中…", "connecting…"));
        } else {
            const char *why = mc->status == MODEL_CAM_OFFLINE
                                  ? scene_tr(f, "摄像头离线", "camera offline")
                                  : NULL;
            float big = roundf(fminf(h * 0.16f, w * 0.09f));
            draw_rect(d, x, y, w, h, DRAW_RGBA(28, 8, 14, 255));
            text_draw(f->t, TEXT_BOLD, big, x + w / 2, y + h * 0.40f, TEXT_CENTER | TEXT_MIDDLE,
                      COL_ALERT, "NO SIGNAL");
            if (a >= 0) {
                fmt_ago(a, age, sizeof age);
                snprintf(buf, sizeof buf, scene_tr(f, "%s%s最后画面 %s", "%s%slast picture %s"),
                         why ? why : "", why ? " · " : "", age);
            } else {
                snprintf(buf, sizeof buf, "%s",
                         why  ? why
                         : st ? scene_tr(f, "无画面", "no picture")
                              : scene_tr(f, "无视频地址", "no stream URL"));
            }
            text_draw(f->t, TEXT_REGULAR, roundf(fs * 0.95f), x + w / 2, y + h * 0.40f + big,
                      TEXT_CENTER | TEXT_MIDDLE, COL_TEXT_DIM, buf);
        }
    }
    /* caption */
    float ch = roundf(fs * 1.7f);
    draw_rect_vgrad(d, x, y + h - ch, w, ch, DRAW_RGBA(0, 0, 0, 0), DRAW_RGBA(0, 0, 0, 200));
    char cap[200];
    snprintf(cap, sizeof cap, "%s · %s", mc->name, m->halls[mc->hall].short_name);
    float dotx = x + w - 8 * s;
    draw_disc(d, dotx, y + h - ch / 2, 3.5f * s, live ? COL_OK : COL_ALERT);
    text_draw_fit(f->t, TEXT_REGULAR, fs, x + 6 * s, y + h - ch / 2, w - 22 * s,
                  TEXT_MIDDLE | TEXT_CUT, COL_TEXT, cap);
    draw_frame(d, x, y, w, h, 1, DRAW_RGBA(40, 90, 150, 200));
}

static void hero_overlay(panel *p, scene_frame *f, float x, float y, float w, float h)
{
    cam_priv *c = p->priv;
    model *m = f->m;
    float s = f->s;
    const model_camera *mc = cam_of(c, m, c->tour.hero);
    int hall = mc ? mc->hall : -1;
    char buf[256];
    if (m->wall.on) {
        hall = model_hall_index(m, m->wall.hero_hall);
        hero_reason_text(f, hall, buf, sizeof buf);
        draw_frame(f->d, x, y, w, h, fmaxf(2, 3 * s),
                   m->wall.hero_reason[0] == 'o' ? COL_ACCENT : COL_ALERT);
    } else {
        draw_frame(f->d, x, y, w, h, fmaxf(2, 3 * s), COL_ALERT);
        bool active = false;
        for (int i = 0; i < m->nalerts && !active; i++)
            active = !strcmp(m->alert_list[i].id, c->tour.hero_alert);
        /* the pin outlives a short alert: say that it has cleared rather than drop the reason */
        snprintf(buf, sizeof buf, scene_tr(f, "告警联动 · %s · %s%s", "alarm · %s · %s%s"),
                 mc ? m->halls[mc->hall].short_name : "", c->hero_title,
                 active ? "" : scene_tr(f, " · 已恢复", " · cleared"));
    }
    float bh = roundf(24 * s), fs = roundf(14 * s);
    draw_rect(f->d, x, y, w, bh, DRAW_RGBA(120, 16, 24, 240));
    float tw = text_draw_fit(f->t, TEXT_BOLD, fs, x + 8 * s, y + bh / 2, w - 16 * s, TEXT_MIDDLE,
                             COL_TEXT, buf);
    json_decref(c->hero_band);
    c->hero_band = json_pack("{s:s,s:s,s:f,s:f,s:f,s:f,s:f}", "panel", "cameras", "text", buf, "x",
                             roundf(x + 8 * s), "y", roundf(y + bh / 2 - fs / 2), "w", roundf(tw),
                             "h", fs, "size", fs);
    if (hall < 0) return;
    char line[256];
    hero_kpi_line(f, hall, line, sizeof line); /* the hall's KPIs */
    if (line[0]) {
        float ky = y + bh;
        draw_rect(f->d, x, ky, w, bh, DRAW_RGBA(2, 10, 24, 230));
        text_draw_fit(f->t, TEXT_REGULAR, roundf(13 * s), x + 8 * s, ky + bh / 2, w - 16 * s,
                      TEXT_MIDDLE | TEXT_TNUM, COL_NUM, line);
    }
}

static bool tile_if_changed(panel *p, scene_frame *f, shown *sh, int id, bool hero, float x,
                            float y, float w, float h)
{
    cam_priv *c = p->priv;
    const model_camera *mc = cam_of(c, f->m, id);
    stream *st = mc ? find_stream(c, mc->id, hero) : NULL;
    shown now = {.valid = true, .id = id, .v = st ? (const void *)st->v : NULL};
    now.state = st ? video_state(st->v) : -1;
    int64_t age = st ? video_last_frame_age_ms(st->v) : -1;
    now.frame_ts = age >= 0 ? cwt_mono_ms() - age : -1;
    now.age_s = now.state == VIDEO_PLAYING || age < 0 ? -1 : age / 1000;
    if (hero && f->m->wall.on) /* the reason as drawn: its cleared state and age too */
        hero_reason_text(f, model_hall_index(f->m, f->m->wall.hero_hall), now.alert,
                         sizeof now.alert);
    else if (hero)
        snprintf(now.alert, sizeof now.alert, "%s", c->tour.hero_alert);
    /* a frame time that moved by a millisecond or two is the same frame (clock rounding) */
    bool same_frame = sh->frame_ts == now.frame_ts || (sh->frame_ts >= 0 && now.frame_ts >= 0 &&
                                                       llabs(sh->frame_ts - now.frame_ts) <= 2);
    if (sh->valid && sh->id == now.id && sh->v == now.v && sh->state == now.state && same_frame &&
        sh->age_s == now.age_s && !strcmp(sh->alert, now.alert))
        return false;
    *sh = now;
    tile(p, f, id, hero, x, y, w, h);
    if (hero) hero_overlay(p, f, x, y, w, h);
    scene_damage_opaque(f, x, y, w, h);
    return true;
}

static bool on_screen(const tour *t, int id)
{
    if (t->hero == id) return true;
    for (int i = 0; i < t->ncur; i++)
        if (t->cur[i] == id) return true;
    return false;
}

/* A hub-decided wall (--wall): the hero is the hub's pin (its camera, or the hall without
 * one), the grid the hub's tour step. */
static int wall_follow(cam_priv *c, model *m, const int *elig, int ne, int64_t now)
{
    const wallstate *ws = &m->wall;
    if (c->has_hero && ws->hero) {
        int id = intern(c, ws->hero_camera[0] ? ws->hero_camera : ws->hero_id);
        if (c->tour.hero != id || strcmp(c->tour.hero_alert, ws->hero_id)) {
            tour_hold(&c->tour, id, ws->hero_id);
            snprintf(c->hero_title, sizeof c->hero_title, "%s", ws->hero_title);
        }
    } else if (c->tour.hero >= 0) {
        tour_unpin(&c->tour);
    }
    bool pinned = c->has_hero && c->tour.hero >= 0;
    int slots = c->cols * c->rows - (pinned ? c->hero[2] * c->hero[3] : 0);
    tour_follow(&c->tour, elig, ne, slots, ws->step, ws->next_ms, now);
    return slots;
}

/* This host's own tour (no --wall): alerts on a window or camera pin the hero for pin_s. */
static int local_tour(cam_priv *c, model *m, const int *elig, int ne, int64_t now)
{
    if (c->has_hero) {
        for (int i = 0; i < m->nalerts; i++) {
            model_alert *a = &m->alert_list[i];
            if (a->silenced || a->camera < 0) continue;
            if (tour_pin(&c->tour, intern(c, m->cams[a->camera].id), a->id, now)) {
                json_t *t = json_object_get(a->a, "title");
                const char *zh = json_string_value(json_object_get(t, "zh"));
                snprintf(c->hero_title, sizeof c->hero_title, "%s", zh ? zh : a->id);
            }
        }
    }
    bool pinned = c->has_hero && c->tour.hero >= 0;
    int slots = c->cols * c->rows - (pinned ? c->hero[2] * c->hero[3] : 0);
    ready_ctx rc = {c, m};
    tour_step(&c->tour, elig, ne, slots, now, stream_ready, &rc);
    return slots;
}

static void cam_anim(panel *p, scene_frame *f)
{
    cam_priv *c = p->priv;
    model *m = f->m;
    float s = f->s;
    int64_t now = f->real_ms;
    c->m = m;

    /* eligible cameras: online with a stream URL, and a camera on screen that went offline:
     * it keeps its tile (NO SIGNAL · 摄像头离线 with the age of its last frame) until the
     * tour moves on, so an operator sees the loss instead of a camera silently leaving; in
     * a grid without rotation that is until it comes back */
    int elig[MODEL_MAX_CAMS], ne = 0;
    for (int i = 0; i < m->ncams; i++) {
        const model_camera *mc = &m->cams[i];
        if (!mc->sub_url[0] && !mc->main_url[0]) continue;
        int id = intern(c, mc->id);
        if (id < 0) continue;
        /* a hub-decided wall: every host must see the same list, so online cameras only */
        if (mc->status == MODEL_CAM_ONLINE || (!m->wall.on && on_screen(&c->tour, id)))
            elig[ne++] = id;
    }
    int slots = m->wall.on ? wall_follow(c, m, elig, ne, now) : local_tour(c, m, elig, ne, now);
    bool pinned = c->has_hero && c->tour.hero >= 0;
    c->neligible = ne;
    c->slots = slots;

    for (int i = 0; i < MAX_STREAMS; i++)
        c->streams[i].wanted = false;
    for (int i = 0; i < c->tour.ncur; i++)
        want(p, c, m, c->tour.cur[i], false);
    if (c->tour.preroll) {
        /* the next group opens one stream after another over the first two thirds of the
         * pre-roll, not all at once: starting 16 pipelines together stalls a small machine */
        int64_t since = now - (c->tour.switch_at - c->tour.preroll_ms);
        int64_t span = c->tour.preroll_ms * 2 / 3;
        int allow = span > 0 ? (int)(since * c->tour.nnext / span) + 1 : c->tour.nnext;
        for (int i = 0; i < c->tour.nnext && i < allow; i++)
            want(p, c, m, c->tour.next[i], false);
    }
    if (pinned) want(p, c, m, c->tour.hero, true);
    for (int i = 0; i < MAX_STREAMS; i++)
        if (c->streams[i].v && !c->streams[i].wanted) {
            video_close(c->streams[i].v);
            c->streams[i].v = NULL;
        }

    float xs[16], ys[16], gap = roundf(6 * s);
    layout_cells(p->l, 0, p->c.x, p->c.w, c->cols, gap, xs);
    layout_cells(p->l, 1, p->c.y, p->c.h, c->rows, gap, ys);
    /* the grid's arrangement changed (hero pinned or released, cameras gone): the content
     * area goes back to the base, and every tile is drawn again */
    int arrangement = (pinned ? 1 : 0) | (ne == 0 ? 2 : 0);
    if (f->full) memset(c->shown, 0, sizeof c->shown); /* the tiles were painted over */
    if (arrangement != c->arrangement) {
        c->arrangement = arrangement;
        scene_damage(f, p->c.x, p->c.y, p->c.w, p->c.h);
        memset(c->shown, 0, sizeof c->shown);
    }
    if (ne == 0 && !pinned) {
        float ts = roundf(16 * s);
        text_draw(f->t, TEXT_REGULAR, ts, p->c.x + p->c.w / 2, p->c.y + p->c.h / 2,
                  TEXT_CENTER | TEXT_MIDDLE, COL_TEXT_FAINT,
                  scene_tr(f, "暂无在线摄像头", "no camera online"));
        scene_damage(f, p->c.x, p->c.y + p->c.h / 2 - ts, p->c.w, 2 * ts);
        return;
    }
    int k = 0;
    for (int r = 0; r < c->rows; r++)
        for (int q = 0; q < c->cols; q++) {
            bool in_hero = pinned && q >= c->hero[0] && q < c->hero[0] + c->hero[2] &&
                           r >= c->hero[1] && r < c->hero[1] + c->hero[3];
            if (in_hero) continue;
            int id = k < c->tour.ncur ? c->tour.cur[k] : -1;
            tile_if_changed(p, f, &c->shown[1 + k], id, false, xs[2 * q], ys[2 * r], xs[2 * q + 1],
                            ys[2 * r + 1]);
            k++;
        }
    if (pinned) {
        int q0 = c->hero[0], r0 = c->hero[1], q1 = q0 + c->hero[2] - 1, r1 = r0 + c->hero[3] - 1;
        float x = xs[2 * q0], y = ys[2 * r0];
        float w = xs[2 * q1] + xs[2 * q1 + 1] - x, h = ys[2 * r1] + ys[2 * r1 + 1] - y;
        if (!tile_if_changed(p, f, &c->shown[0], c->tour.hero, true, x, y, w, h) && c->hero_band)
            text_dump_add(f->t, json_deep_copy(c->hero_band));
    }
}

/* the tour's state next to the title (cached: it changes by the second) */
static void cam_draw(panel *p, scene_frame *f)
{
    cam_priv *c = p->priv;
    float s = f->s;
    int64_t now = f->real_ms;
    int ne = c->neligible, slots = c->slots;
    char buf[96];
    if (ne > slots && f->m->wall.on && f->m->wall.paused) { /* an operator paused the tour */
        snprintf(buf, sizeof buf, scene_tr(f, "轮巡 %d/%d 组 · 已暂停", "tour %d/%d · paused"),
                 c->tour.pos / (slots ? slots : 1) + 1, (ne + slots - 1) / (slots ? slots : 1));
    } else if (ne > slots) {
        int64_t left = c->tour.switch_at - now;
        snprintf(buf, sizeof buf, scene_tr(f, "轮巡 %d/%d 组 · %lld秒", "tour %d/%d · %llds"),
                 c->tour.pos / (slots ? slots : 1) + 1, (ne + slots - 1) / (slots ? slots : 1),
                 (long long)(left > 0 ? left / 1000 + 1 : 0));
    } else {
        snprintf(buf, sizeof buf, scene_tr(f, "在线 %d 路", "%d online"), ne);
    }
    float ty = p->r.y + roundf(38 * s) / 2 + roundf(2 * s);
    float tx = p->r.x + roundf(24 * s) + text_width(f->t, TEXT_BOLD, 19 * s, 0, p->title) + 14 * s;
    text_draw(f->t, TEXT_REGULAR, roundf(13 * s), tx, ty, TEXT_MIDDLE, COL_ACCENT, buf);
}

static int64_t cam_data_ms(panel *p, scene_frame *f)
{
    (void)p;
    return f->m->halls_rx_ms;
}

static bool cam_animating(panel *p, scene_frame *f)
{
    cam_priv *c = p->priv;
    (void)f;
    for (int i = 0; i < MAX_STREAMS; i++)
        if (c->streams[i].v) return true;
    return c->tour.hero >= 0;
}

/* Every visible tile of an online camera has had a frame (offline cameras never will). */
static bool cam_ready(panel *p)
{
    cam_priv *c = p->priv;
    if (!c->m) return true;
    for (int i = -1; i < c->tour.ncur; i++) {
        int id = i < 0 ? c->tour.hero : c->tour.cur[i];
        const model_camera *mc = id >= 0 ? cam_of(c, c->m, id) : NULL;
        if (!mc || mc->status != MODEL_CAM_ONLINE) continue;
        stream *s = find_stream(c, mc->id, i < 0);
        if (s && video_last_frame_age_ms(s->v) < 0) return false;
    }
    return true;
}

static void cam_report(panel *p, json_t *out)
{
    cam_priv *c = p->priv;
    for (int i = 0; i < MAX_STREAMS; i++) {
        stream *s = &c->streams[i];
        if (!s->v) continue;
        bool ok = video_state(s->v) == VIDEO_PLAYING;
        json_t *prev = json_object_get(out, s->cam);
        if (prev && !strcmp(json_string_value(prev), "ok")) continue;
        json_object_set_new(out, s->cam, json_string(ok ? "ok" : "no_signal"));
    }
}

const panel_ops panel_cameras_ops = {
    .type = "cameras",
    .default_title = "大厅监控",
    .default_title_en = "Hall cameras",
    .cached_title_only = true,
    .create = cam_create,
    .draw = cam_draw,
    .draw_anim = cam_anim,
    .destroy = cam_destroy,
    .data_ms = cam_data_ms,
    .animating = cam_animating,
    .ready = cam_ready,
    .report = cam_report,
};
