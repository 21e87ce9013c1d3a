/* panel_clock: the header band (wall title, LIVE / STALE badge, city summary, clock) and a
 * stand-alone clock panel. Both show the hub's business time (SPEC §1 --clock), as estimated
 * by the hub client, with the clock's speed when it is not real time. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "scene.h"

static const char *const weekday_zh[] = {"星期一", "星期二", "星期三", "星期四",
                                         "星期五", "星期六", "星期日"};

static void clock_strings(scene_frame *f, char *date, size_t dn, char *time, size_t tn, char *speed,
                          size_t sn)
{
    cwt_local lt;
    cwt_to_local(f->now_ms, &lt);
    char d[16];
    cwt_format_date(lt.date, d);
    static const char *const weekday_en[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                             "Friday", "Saturday", "Sunday"};
    if (f->l && f->l->lang == LAYOUT_LANG_EN)
        snprintf(date, dn, "%s %.10s", weekday_en[lt.weekday % 7], d);
    else
        snprintf(date, dn, "%.4s年%.2s月%.2s日 %s", d, d + 5, d + 8, weekday_zh[lt.weekday % 7]);
    int64_t sec = (f->now_ms - lt.day_start_ms) / 1000;
    snprintf(time, tn, "%02d:%02d:%02d", (int)(sec / 3600), (int)(sec / 60 % 60), (int)(sec % 60));
    speed[0] = 0;
    if (f->m->clock_valid && fabs(f->m->clock.speed - 1.0) > 0.01)
        snprintf(speed, sn, scene_tr(f, "业务时钟 ×%g", "business clock ×%g"), f->m->clock.speed);
}

/* ---- header ---------------------------------------------------------------------------- */

static const char *header_title(panel *p)
{
    return p->lp->title  ? p->lp->title
           : p->l->title ? p->l->title
                         : "临海市政务服务“全市一张网”运行监测";
}

static void header_static(panel *p, scene_frame *f)
{
    draw_t *d = f->d;
    float s = f->s, x = p->r.x, y = p->r.y, w = p->r.w, h = p->r.h;
    draw_rect_vgrad(d, x, y, w, h, DRAW_RGBA(8, 30, 66, 255), DRAW_RGBA(3, 12, 30, 255));
    draw_rect_hgrad(d, x, y + h - 2 * s, w / 2, fmaxf(1, 2 * s), DRAW_RGBA(63, 208, 255, 0),
                    DRAW_RGBA(63, 208, 255, 200));
    draw_rect_hgrad(d, x + w / 2, y + h - 2 * s, w / 2, fmaxf(1, 2 * s),
                    DRAW_RGBA(63, 208, 255, 200), DRAW_RGBA(63, 208, 255, 0));

    /* title plate: a trapezoid centred on the band */
    const char *title = header_title(p);
    float ts = roundf(fminf(30 * s, h * 0.52f));
    float tw = text_width(f->t, TEXT_BOLD, ts, 0, title);
    float cx = x + w / 2, pw = tw + 120 * s, ph = h - 6 * s;
    const float plate[8] = {cx - pw / 2 - 30 * s, y,      cx + pw / 2 + 30 * s, y,
                            cx + pw / 2,          y + ph, cx - pw / 2,          y + ph};
    const uint32_t pc[4] = {DRAW_RGBA(18, 62, 120, 255), DRAW_RGBA(18, 62, 120, 255),
                            DRAW_RGBA(10, 36, 78, 255), DRAW_RGBA(10, 36, 78, 255)};
    draw_quad4(d, plate, pc);
    draw_line(d, cx - pw / 2, y + ph, cx + pw / 2, y + ph, 2 * s, COL_ACCENT);
    draw_line(d, cx - pw / 2 - 30 * s, y, cx - pw / 2, y + ph, 1.5f * s,
              draw_fade(COL_ACCENT, 0.7f));
    draw_line(d, cx + pw / 2 + 30 * s, y, cx + pw / 2, y + ph, 1.5f * s,
              draw_fade(COL_ACCENT, 0.7f));
    draw_glow(d, cx, y + ph, pw * 0.45f, DRAW_RGBA(63, 208, 255, 40));
    text_draw(f->t, TEXT_BOLD, ts, cx, y + ph / 2, TEXT_CENTER | TEXT_MIDDLE,
              DRAW_RGBA(236, 246, 255, 255), title);
}

static void header_draw(panel *p, scene_frame *f)
{
    draw_t *d = f->d;
    float s = f->s, x = p->r.x, y = p->r.y, w = p->r.w;
    float ph = p->r.h - 6 * s;
    (void)d;

    /* left: connection state and city summary */
    float lx = x + 20 * s, cy = y + ph / 2;
    model *m = f->m;
    if (f->stale) {
        /* the same words and the same age as every panel's title bar (scene.h) */
        float pw2 = scene_pill(f, lx, cy - 13 * s, 26 * s, COL_STALE, DRAW_RGBA(255, 255, 255, 255),
                               scene_conn_badge(f), 0);
        char buf[200], asof[96];
        if (m->auth_failed) {
            snprintf(buf, sizeof buf, "%s",
                     scene_tr(f, "中枢拒绝了本墙的令牌（--token）· authentication failed",
                              "the hub refused this wall's token (--token)"));
        } else if (!m->known_ms) {
            snprintf(
                buf, sizeof buf, "%s",
                scene_tr(f, "尚未连上中枢 · 正在重试", "not connected to the hub yet · retrying"));
        } else {
            scene_data_as_of(f, asof, sizeof asof);
            snprintf(buf, sizeof buf,
                     scene_tr(f, "与中枢断开 · %s · 画面保持最后状态",
                              "hub connection lost · %s · showing the last state"),
                     asof);
        }
        text_draw(f->t, TEXT_BOLD, 15 * s, lx + pw2 + 10 * s, cy, TEXT_MIDDLE, COL_STALE, buf);
    } else {
        float tx = lx + 20 * s;
        tx += text_draw(f->t, TEXT_BOLD, 15 * s, tx, cy, TEXT_MIDDLE, COL_OK,
                        scene_tr(f, "实时", "LIVE"));
        /* hall counts from the halls' status, as the map legend counts them: running = open
         * and reporting (ok, warn, alert); offline = R15 (数据中断); closed = outside hours */
        double on, tot;
        char buf[200], cams[64] = "";
        int c[MODEL_ST_COUNT];
        model_hall_counts(m, c);
        int running = c[MODEL_ST_OK] + c[MODEL_ST_WARN] + c[MODEL_ST_ALERT];
        if (model_kpi(m, -1, "cameras_online", &on) && model_kpi(m, -1, "cameras_total", &tot))
            snprintf(cams, sizeof cams,
                     scene_tr(f, " · 摄像头 %d/%d 在线", " · cameras %d/%d online"), (int)on,
                     (int)tot);
        int n = snprintf(buf, sizeof buf, scene_tr(f, "服务中心 %d/%d 运行", "halls %d/%d running"),
                         running, m->nhalls);
        if (c[MODEL_ST_OFFLINE] && n > 0 && (size_t)n < sizeof buf)
            n += snprintf(buf + n, sizeof buf - (size_t)n,
                          scene_tr(f, " · 离线 %d", " · offline %d"), c[MODEL_ST_OFFLINE]);
        if (c[MODEL_ST_CLOSED] && n > 0 && (size_t)n < sizeof buf)
            n += snprintf(buf + n, sizeof buf - (size_t)n,
                          scene_tr(f, " · 休息 %d", " · closed %d"), c[MODEL_ST_CLOSED]);
        if (n > 0 && (size_t)n < sizeof buf) snprintf(buf + n, sizeof buf - (size_t)n, "%s", cams);
        float bw =
            text_draw(f->t, TEXT_REGULAR, 14 * s, tx + 14 * s, cy, TEXT_MIDDLE, COL_TEXT_DIM, buf);
        if (m->glass_p50_ms >= 0) { /* event-to-glass (p50 of the recent changes shown) */
            char lat[48];
            snprintf(lat, sizeof lat, scene_tr(f, "延迟 %.0f ms", "latency %.0f ms"),
                     m->glass_p50_ms);
            text_draw(f->t, TEXT_REGULAR, 13 * s, tx + 14 * s + bw + 16 * s, cy, TEXT_MIDDLE,
                      COL_TEXT_FAINT, lat);
        }
    }

    /* right: the clock */
    char date[64], time[16], speed[48];
    clock_strings(f, date, sizeof date, time, sizeof time, speed, sizeof speed);
    float rx = x + w - 20 * s;
    float tws = text_draw(f->t, TEXT_BOLD, 26 * s, rx, cy, TEXT_RIGHT | TEXT_MIDDLE | TEXT_TNUM,
                          COL_NUM, time);
    float dx = rx - tws - 14 * s;
    if (speed[0]) {
        text_draw(f->t, TEXT_REGULAR, 14 * s, dx, cy - 9 * s, TEXT_RIGHT | TEXT_MIDDLE,
                  COL_TEXT_DIM, date);
        text_draw(f->t, TEXT_REGULAR, 12 * s, dx, cy + 10 * s, TEXT_RIGHT | TEXT_MIDDLE, COL_WARN,
                  speed);
    } else {
        text_draw(f->t, TEXT_REGULAR, 15 * s, dx, cy, TEXT_RIGHT | TEXT_MIDDLE, COL_TEXT_DIM, date);
    }
}

/* the LIVE dot breathes */
static void header_anim(panel *p, scene_frame *f)
{
    if (f->stale) return;
    float s = f->s, ph = p->r.h - 6 * s;
    float lx = p->r.x + 20 * s, cy = p->r.y + ph / 2;
    float pulse = 0.55f + 0.45f * (float)fabs(sin(f->anim_s * 2.0));
    draw_glow(f->d, lx + 7 * s, cy, 12 * s, draw_fade(COL_OK, 0.6f * pulse));
    draw_disc(f->d, lx + 7 * s, cy, 5 * s, COL_OK);
    scene_damage(f, lx + 7 * s - 13 * s, cy - 13 * s, 26 * s, 26 * s);
}

static bool header_animating(panel *p, scene_frame *f)
{
    (void)p;
    return !f->stale;
}

const panel_ops panel_header_ops = {
    .type = "header",
    .draw_static = header_static,
    .draw = header_draw,
    .draw_anim = header_anim,
    .animating = header_animating,
};

/* ---- clock ----------------------------------------------------------------------------- */

static void clock_draw(panel *p, scene_frame *f)
{
    char date[64], time[16], speed[48];
    clock_strings(f, date, sizeof date, time, sizeof time, speed, sizeof speed);
    float s = f->s, cx = p->c.x + p->c.w / 2;
    float big = fminf(p->c.h * 0.45f, p->c.w / 5.0f);
    float y = p->c.y + p->c.h * 0.08f;
    text_draw(f->t, TEXT_BOLD, big, cx, y, TEXT_CENTER | TEXT_TNUM, COL_NUM, time);
    y += big * 1.15f;
    text_draw(f->t, TEXT_REGULAR, 20 * s, cx, y, TEXT_CENTER, COL_TEXT, date);
    y += 30 * s;
    if (speed[0]) text_draw(f->t, TEXT_REGULAR, 15 * s, cx, y, TEXT_CENTER, COL_WARN, speed);
}

const panel_ops panel_clock_ops = {
    .type = "clock",
    .default_title = "业务时间",
    .default_title_en = "Business time",
    .draw = clock_draw,
};
