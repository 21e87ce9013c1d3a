/* wall_stats: what the wall measures about itself and writes down -- frame times (a ring of
 * the last FT_RING), fps, the fleet report sent to the hub every 10 s (SPEC §4 `report`), the
 * --status-log (frame times, camera and connection states), the --present-log (the frame that
 * first shows each city rev, for citywall-bench glass) and the --stats summary at exit.
 *
 * Thread: render thread.
 */
#ifndef CW_WALL_STATS_H
#define CW_WALL_STATS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "draw.h"
#include "layout.h"
#include "model.h"
#include "scene.h"

#define WALL_FT_RING 8192
#define WALL_GLASS_RING 512 /* the samples the fleet report's glass p50 / p99 are over */

typedef struct wall_stats {
    double *ft; /* frame times (ms), a ring of WALL_FT_RING */
    int ftn, ftpos;
    uint64_t frames_total, partial_frames;
    int64_t t0_us, fps_t0_us;
    uint64_t fps_frames0;
    double fps;
    /* --status-log */
    FILE *status;
    json_t *status_ft, *status_cams;
    int64_t status_last_us;
    int status_conn; /* last written: 0 none yet, 1 live, 2 stale, 3 auth failed */
    /* --present-log */
    FILE *present;
    uint64_t logged_rev, logged_wall_rev;
    /* event-to-glass: ingest ack (the hub's stamp) -> presented frame, ms, a ring */
    double glass[WALL_GLASS_RING];
    int glassn, glasspos;
} wall_stats;

/* Monotonic microseconds (the clock of every figure here). */
int64_t wall_mono_us(void);

/* Opens the logs that are asked for (NULL: not). Returns 0, or -1 with the reason in err (the
 * caller exits 2: a usage error). */
int wall_stats_open(wall_stats *ws, const char *status_log, const char *present_log, int64_t t0_us,
                    char *err, size_t errlen);
/* A frame drawn from f0 to f1 (us): its time, fps, the present log when it shows a new rev,
 * the status log line when something changed or a second passed. */
void wall_stats_frame(wall_stats *ws, scene *sc, const model *m, int64_t f0_us, int64_t f1_us);
/* A presented frame showed a change the hub acknowledged ms milliseconds earlier. Returns the
 * p50 of the last 100 such samples (the header's 延迟 figure). */
double wall_stats_glass(wall_stats *ws, double ms);
/* The fleet report for the hub (new reference). */
json_t *wall_stats_report(const wall_stats *ws, scene *sc, const model *m, layout_rect vp);
/* At exit: the last status line, the --stats summary when print_stats, the files closed. */
void wall_stats_close(wall_stats *ws, scene *sc, const model *m, draw_t *d, bool print_stats);

#endif
