/* wall_stats: frame statistics, the fleet report and the wall's logs. See wall_stats.h. */
#include "wall_stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cwtime.h"

#define STATUS_MS 1000

int64_t wall_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Percentile p (0..100) of n values. */
static double percentile(const double *v, int n, double p)
{
    if (n <= 0) return 0;
    double *tmp = malloc(sizeof(double) * (size_t)n);
    if (!tmp) return 0;
    memcpy(tmp, v, sizeof(double) * (size_t)n);
    qsort(tmp, (size_t)n, sizeof(double), cmp_double);
    int i = (int)ceil(p / 100.0 * n) - 1;
    if (i < 0) i = 0;
    if (i >= n) i = n - 1;
    double r = tmp[i];
    free(tmp);
    return r;
}

int wall_stats_open(wall_stats *ws, const char *status_log, const char *present_log, int64_t t0_us,
                    char *err, size_t errlen)
{
    memset(ws, 0, sizeof(*ws));
    ws->t0_us = ws->fps_t0_us = t0_us;
    ws->ft = calloc(WALL_FT_RING, sizeof(double));
    if (!ws->ft) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (status_log && (!(ws->status_ft = json_array()) || !(ws->status = fopen(status_log, "w")))) {
        snprintf(err, errlen, "--status-log %s: cannot write", status_log);
        return -1;
    }
    if (present_log && !(ws->present = fopen(present_log, "w"))) {
        snprintf(err, errlen, "--present-log %s: cannot write", present_log);
        return -1;
    }
    return 0;
}

/* --status-log: a line when a camera's state or the connection state changed, or a second has
 * passed since the last one (final: at exit). `live` is true once the frame shows state from a
 * live connection (the city snapshot of the current connection). */
static void status_line(wall_stats *ws, scene *sc, const model *m, double ms, int64_t now_us,
                        bool final)
{
    if (!final) json_array_append_new(ws->status_ft, json_real(round(ms * 100) / 100));
    json_t *cams = scene_camera_report(sc);
    if (!cams) return;
    int conn = m->connected ? 1 : m->auth_failed ? 3 : 2;
    if (!final && ws->status_cams && json_equal(cams, ws->status_cams) && conn == ws->status_conn &&
        now_us - ws->status_last_us < STATUS_MS * 1000) {
        json_decref(cams);
        return;
    }
    ws->status_conn = conn;
    json_t *line = json_pack("{s:I,s:I,s:O,s:O,s:b,s:b,s:I,s:i,s:i,s:i,s:i,s:s}", "t_ms",
                             (json_int_t)cwt_real_ms(), "frames", (json_int_t)ws->frames_total,
                             "ft_ms", ws->status_ft, "cameras", cams, "live", m->connected,
                             "auth_failed", m->auth_failed, "rev", (json_int_t)m->city_rev,
                             "reconnects", m->reconnects, "failures", m->failures, "snapshots",
                             m->snapshots, "resumes", m->resumes, "error", m->error);
    char *txt = line ? json_dumps(line, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;
    if (txt) {
        fprintf(ws->status, "%s\n", txt);
        fflush(ws->status);
    }
    free(txt);
    json_decref(line);
    json_array_clear(ws->status_ft);
    json_decref(ws->status_cams);
    ws->status_cams = cams;
    ws->status_last_us = now_us;
}

void wall_stats_frame(wall_stats *ws, scene *sc, const model *m, int64_t f0_us, int64_t f1_us)
{
    if (ws->present && (m->city_rev != ws->logged_rev || m->wall.rev != ws->logged_wall_rev)) {
        double issued = -1;
        model_kpi(m, -1, "issued", &issued);
        char wall[256] = ""; /* --wall: the hub-decided state this frame shows */
        if (m->wall.on)
            snprintf(wall, sizeof wall,
                     ",\"wall_rev\":%llu,\"step\":%lld,\"scene\":\"%s\",\"hero\":\"%s\","
                     "\"hero_id\":\"%.100s\"",
                     (unsigned long long)m->wall.rev, (long long)m->wall.step, m->wall.scene,
                     m->wall.hero ? m->wall.hero_hall : "", m->wall.hero_id);
        fprintf(ws->present,
                "{\"t_ms\":%lld,\"mono_us\":%lld,\"frame\":%llu,\"rev\":%llu,\"issued\":%.0f%s}"
                "\n",
                (long long)cwt_real_ms(), (long long)wall_mono_us(),
                (unsigned long long)ws->frames_total + 1, (unsigned long long)m->city_rev, issued,
                wall);
        fflush(ws->present);
        ws->logged_rev = m->city_rev;
        ws->logged_wall_rev = m->wall.rev;
    }
    double ms = (double)(f1_us - f0_us) / 1000.0;
    ws->ft[ws->ftpos] = ms;
    ws->ftpos = (ws->ftpos + 1) % WALL_FT_RING;
    if (ws->ftn < WALL_FT_RING) ws->ftn++;
    ws->frames_total++;
    if (f1_us - ws->fps_t0_us >= 2000000) {
        ws->fps =
            (double)(ws->frames_total - ws->fps_frames0) * 1e6 / (double)(f1_us - ws->fps_t0_us);
        ws->fps_t0_us = f1_us;
        ws->fps_frames0 = ws->frames_total;
    }
    if (ws->status) status_line(ws, sc, m, ms, f1_us, false);
}

/* The p-th percentile of the last n glass samples (-1 when none). */
static double glass_pct(const wall_stats *ws, int n, double p)
{
    if (n > ws->glassn) n = ws->glassn;
    if (n <= 0) return -1;
    double v[WALL_GLASS_RING];
    for (int i = 0; i < n; i++)
        v[i] = ws->glass[(ws->glasspos - 1 - i + WALL_GLASS_RING) % WALL_GLASS_RING];
    return percentile(v, n, p);
}

double wall_stats_glass(wall_stats *ws, double ms)
{
    ws->glass[ws->glasspos] = ms;
    ws->glasspos = (ws->glasspos + 1) % WALL_GLASS_RING;
    if (ws->glassn < WALL_GLASS_RING) ws->glassn++;
    return glass_pct(ws, 100, 50);
}

json_t *wall_stats_report(const wall_stats *ws, scene *sc, const model *m, layout_rect vp)
{
    int n = ws->ftn < 600 ? ws->ftn : 600;
    double recent[600];
    for (int i = 0; i < n; i++)
        recent[i] = ws->ft[(ws->ftpos - 1 - i + WALL_FT_RING) % WALL_FT_RING];
    char vps[64];
    snprintf(vps, sizeof vps, "%d,%d,%d,%d", (int)vp.x, (int)vp.y, (int)vp.w, (int)vp.h);
    json_t *o = json_pack(
        "{s:s,s:s,s:f,s:f,s:I,s:b,s:o}", "op", "report", "viewport", vps, "fps",
        round(ws->fps * 10) / 10, "frame_p99_ms", round(percentile(recent, n, 99) * 100) / 100,
        "rev", (json_int_t)m->city_rev, "stale", !m->connected, "cameras", scene_camera_report(sc));
    if (o && ws->glassn) { /* event-to-glass over the last WALL_GLASS_RING changes shown */
        json_object_set_new(o, "glass_p50_ms",
                            json_real(round(glass_pct(ws, WALL_GLASS_RING, 50) * 10) / 10));
        json_object_set_new(o, "glass_p99_ms",
                            json_real(round(glass_pct(ws, WALL_GLASS_RING, 99) * 10) / 10));
        json_object_set_new(o, "glass_n", json_integer(ws->glassn));
    }
    if (o && m->wall.on) {
        json_object_set_new(o, "wall", json_string(m->wall.id));
        json_object_set_new(o, "wall_rev", json_integer((json_int_t)m->wall.rev));
        json_object_set_new(o, "wall_step", json_integer(m->wall.step));
    }
    return o;
}

static void print_stats(const wall_stats *ws, draw_t *d)
{
    int n = ws->ftn;
    double el = (double)(wall_mono_us() - ws->t0_us) / 1e6;
    uint64_t calls, quads, frames = ws->frames_total;
    draw_stats(d, &calls, &quads);
    printf("citywall-wall stats: %.1f draw calls and %.0f quads per frame, %llu of %llu frames "
           "repainted only what changed\n",
           (double)calls / (double)(frames ? frames : 1),
           (double)quads / (double)(frames ? frames : 1), (unsigned long long)ws->partial_frames,
           (unsigned long long)frames);
    printf("citywall-wall stats: %llu frames in %.1f s (%.1f fps), frame time p50 %.2f ms, p90 "
           "%.2f ms, p99 %.2f ms, max %.2f ms (last %d frames)\n",
           (unsigned long long)frames, el, el > 0 ? (double)frames / el : 0,
           percentile(ws->ft, n, 50), percentile(ws->ft, n, 90), percentile(ws->ft, n, 99),
           percentile(ws->ft, n, 100), n);
}

void wall_stats_close(wall_stats *ws, scene *sc, const model *m, draw_t *d, bool stats)
{
    if (ws->status && sc && m) status_line(ws, sc, m, 0, wall_mono_us(), true);
    if (stats && d && ws->ft) print_stats(ws, d);
    if (ws->present) fclose(ws->present);
    if (ws->status) fclose(ws->status);
    json_decref(ws->status_ft);
    json_decref(ws->status_cams);
    free(ws->ft);
    memset(ws, 0, sizeof(*ws));
}
