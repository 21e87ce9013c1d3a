/* panel_alerts: the firing alerts (SPEC §6) -- severity pill in its colour (P1 red .. P4 blue),
 * hall, the rule's Chinese title, how long it has fired (business time), and the Chinese
 * summary; silenced or inhibited ones dimmed and last. Without the `alerts` topic (a hub
 * that does not alert) the panel says so instead of showing an empty list. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "scene.h"

/* A {"zh","en"} text of the hub's in the wall's language (the other one when it is missing). */
static const char *in_lang(const scene_frame *f, json_t *o)
{
    if (json_is_string(o)) return json_string_value(o);
    const char *want = scene_tr(f, "zh", "en"), *other = scene_tr(f, "en", "zh");
    const char *s = json_string_value(json_object_get(o, want));
    return s ? s : json_string_value(json_object_get(o, other));
}

static void alerts_draw(panel *p, scene_frame *f)
{
    model *m = f->m;
    draw_t *d = f->d;
    float s = f->s, x = p->c.x, y = p->c.y, w = p->c.w;
    float cy0 = p->r.y + roundf(38 * s) / 2 + roundf(2 * s);
    /* counts of the listed alerts, next to the title: active ones per severity, then the
     * silenced or inhibited ones (dimmed in the list); they add up to the list below, rows
     * shown plus "还有 N 条" */
    int cnt[6], muted;
    model_alert_counts(m, cnt, &muted);
    float tx = p->r.x + roundf(24 * s) + text_width(f->t, TEXT_BOLD, 19 * s, 0, p->title) + 12 * s;
    for (int sev = 1; sev <= 5; sev++) {
        if (!cnt[sev]) continue;
        char b[24];
        if (sev <= 4)
            snprintf(b, sizeof b, "P%d %d", sev, cnt[sev]);
        else
            snprintf(b, sizeof b, "P? %d", cnt[sev]);
        tx += scene_pill(f, tx, cy0 - 10 * s, 20 * s, draw_fade(scene_severity_color(sev), 0.9f),
                         DRAW_RGBA(255, 255, 255, 255), b, 0) +
              6 * s;
    }
    if (muted) {
        char b[48];
        snprintf(b, sizeof b, "%s %d", scene_tr(f, "静默/抑制", "muted"), muted);
        scene_pill(f, tx, cy0 - 10 * s, 20 * s, draw_fade(COL_OFFLINE, 0.6f),
                   DRAW_RGBA(255, 255, 255, 255), b, 0);
    }

    if (m->alerts_unavailable) {
        text_draw(f->t, TEXT_REGULAR, roundf(16 * s), x + w / 2, y + p->c.h / 2,
                  TEXT_CENTER | TEXT_MIDDLE, COL_TEXT_FAINT,
                  scene_tr(f, "告警服务未启用（中枢未提供 alerts 主题）",
                           "alerting is off (the hub has no alerts topic)"));
        return;
    }
    if (!m->alerts) {
        text_draw(f->t, TEXT_REGULAR, roundf(16 * s), x + w / 2, y + p->c.h / 2,
                  TEXT_CENTER | TEXT_MIDDLE, COL_TEXT_FAINT,
                  scene_tr(f, "等待告警数据", "waiting for alerts"));
        return;
    }
    if (m->nalerts == 0) {
        draw_disc(d, x + w / 2, y + p->c.h / 2 - 22 * s, 14 * s, draw_fade(COL_OK, 0.9f));
        text_draw(f->t, TEXT_BOLD, roundf(16 * s), x + w / 2, y + p->c.h / 2 - 22 * s,
                  TEXT_CENTER | TEXT_MIDDLE, COL_BG, "✓");
        text_draw(f->t, TEXT_REGULAR, roundf(16 * s), x + w / 2, y + p->c.h / 2 + 8 * s,
                  TEXT_CENTER | TEXT_MIDDLE, COL_OK, scene_tr(f, "当前无告警", "no active alerts"));
        return;
    }
    float rh = roundf(50 * s);
    int fit = (int)(p->c.h / rh);
    int shown = m->nalerts <= fit ? m->nalerts : fit - 1;
    if (shown < 0) shown = 0;
    for (int i = 0; i < shown; i++) {
        model_alert *a = &m->alert_list[i];
        float ry = y + rh * (float)i;
        uint32_t sc = scene_severity_color(a->sev);
        float dim = a->silenced ? 0.45f : 1.0f;
        draw_rect_hgrad(d, x, ry + 2 * s, w, rh - 4 * s, draw_fade(sc, 0.16f * dim),
                        DRAW_RGBA(10, 30, 64, 0));
        draw_rect(d, x, ry + 2 * s, roundf(3 * s), rh - 4 * s, draw_fade(sc, dim));
        char sev[16];
        snprintf(sev, sizeof sev, "P%d", a->sev < 5 ? a->sev : 0);
        float l1 = ry + rh * 0.32f, l2 = ry + rh * 0.72f;
        float px = x + 10 * s;
        px += scene_pill(f, px, l1 - 9 * s, 18 * s, draw_fade(sc, dim),
                         DRAW_RGBA(255, 255, 255, 255), sev, 0) +
              8 * s;
        /* escalated (督办, issue 15): a pill with the level it reached */
        int esc = (int)json_integer_value(json_object_get(a->a, "escalation_level"));
        if (json_is_true(json_object_get(a->a, "escalated")) && esc > 0) {
            char eb[32];
            snprintf(eb, sizeof eb, scene_tr(f, "督办 %d", "escalated %d"), esc);
            px += scene_pill(f, px, l1 - 9 * s, 18 * s, draw_fade(COL_WARN, dim), COL_BG, eb, 0) +
                  8 * s;
        }
        const char *hall = a->hall >= 0 ? m->halls[a->hall].short_name
                                        : json_string_value(json_object_get(a->a, "hall"));
        if (hall) {
            px += text_draw(f->t, TEXT_BOLD, roundf(15 * s), px, l1, TEXT_MIDDLE,
                            draw_fade(COL_TEXT, dim), hall) +
                  8 * s;
        }
        char age[48] = "";
        if (a->started_ms) fmt_duration(f->now_ms - a->started_ms, age, sizeof age);
        float aw = age[0] ? text_draw(f->t, TEXT_REGULAR, roundf(13 * s), x + w - 6 * s, l1,
                                      TEXT_RIGHT | TEXT_MIDDLE | TEXT_TNUM,
                                      draw_fade(COL_TEXT_DIM, dim), age)
                          : 0;
        const char *title = in_lang(f, json_object_get(a->a, "title"));
        if (!title) title = json_string_value(json_object_get(a->a, "rule"));
        char tbuf[160];
        snprintf(tbuf, sizeof tbuf, "%s%s", title ? title : scene_tr(f, "告警", "alert"),
                 a->silenced ? scene_tr(f, "（已静默）", " (silenced)") : "");
        text_draw_fit(f->t, TEXT_REGULAR, roundf(15 * s), px, l1, x + w - aw - 14 * s - px,
                      TEXT_MIDDLE, draw_fade(sc, dim), tbuf);
        const char *sum = in_lang(f, json_object_get(a->a, "summary"));
        if (sum)
            text_draw_fit(f->t, TEXT_REGULAR, roundf(13 * s), x + 10 * s, l2, w - 16 * s,
                          TEXT_MIDDLE, draw_fade(COL_TEXT_DIM, dim), sum);
    }
    if (shown < m->nalerts) {
        char more[64];
        snprintf(more, sizeof more, scene_tr(f, "还有 %d 条告警", "%d more alerts"),
                 m->nalerts - shown);
        text_draw(f->t, TEXT_REGULAR, roundf(13 * s), x + w / 2, y + rh * (float)shown + rh / 2,
                  TEXT_CENTER | TEXT_MIDDLE, COL_TEXT_DIM, more);
    }
}

static int64_t alerts_data_ms(panel *p, scene_frame *f)
{
    (void)p;
    return f->m->alerts_rx_ms;
}

const panel_ops panel_alerts_ops = {
    .type = "alerts",
    .refresh_ms = 500,
    .default_title = "实时告警",
    .default_title_en = "Live alerts",
    .draw = alerts_draw,
    .data_ms = alerts_data_ms,
};
