/* hero: the hero slot's words on a hub-decided wall; see hero.h. */
#include "hero.h"

#include <stdio.h>

#include "fmt.h"
#include "model.h"

/* The hero's reason on a hub-decided wall: the alert (severity, hall, title, how long it has
 * fired, · 已恢复 once cleared) or the operator who put the hall on the wall (上墙). */
void hero_reason_text(scene_frame *f, int hall, char *buf, size_t n)
{
    const wallstate *ws = &f->m->wall;
    const char *hn = hall >= 0 ? f->m->halls[hall].short_name : ws->hero_hall;
    if (ws->hero_reason[0] == 'o') {
        snprintf(buf, n, scene_tr(f, "上墙 · %s · 操作员 %s", "on the wall · %s · by %s"), hn,
                 ws->hero_by);
        return;
    }
    char age[48] = "";
    if (ws->hero_started_ms > 0 && f->now_ms > ws->hero_started_ms)
        fmt_duration(f->now_ms - ws->hero_started_ms, age, sizeof age);
    snprintf(buf, n, scene_tr(f, "告警联动 · %s · %s · %s%s%s%s", "alarm · %s · %s · %s%s%s%s"),
             ws->hero_sev, hn, ws->hero_title, age[0] ? scene_tr(f, " · 已持续 ", " · for ") : "",
             age, ws->hero_cleared ? scene_tr(f, " · 已恢复", " · cleared") : "");
}

void hero_kpi_line(scene_frame *f, int hall, char *line, size_t n)
{
    model *m = f->m;
    double v;
    char t[32];
    const char *u;
    size_t o = 0;
    line[0] = 0;
    if (hall < 0) return;
    if (model_kpi(m, hall, "waiting", &v))
        o +=
            (size_t)snprintf(line + o, n - o, scene_tr(f, "当前等候 %d  ", "waiting %d  "), (int)v);
    if (model_kpi(m, hall, "avg_wait_s", &v) && o < n) {
        fmt_wait(v, t, sizeof t, &u);
        o += (size_t)snprintf(line + o, n - o, scene_tr(f, "平均等候 %s%s  ", "avg wait %s%s  "), t,
                              u);
    }
    if (model_kpi(m, hall, "windows_open", &v) && o < n)
        o +=
            (size_t)snprintf(line + o, n - o, scene_tr(f, "开放窗口 %d  ", "windows %d  "), (int)v);
    if (model_kpi(m, hall, "good_rate", &v) && o < n) {
        fmt_rate(v, t, sizeof t);
        snprintf(line + o, n - o, scene_tr(f, "好评率 %s%%", "good %s%%"), t);
    }
}
