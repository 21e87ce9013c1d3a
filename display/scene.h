/* scene: the wall's picture -- the panels of a layout, their common frame (title, "updated N s
 * ago", STALE), the theme, and the number formats every panel shares.
 *
 * A panel is a type (panel_ops) plus its place in the layout. Its picture has three layers,
 * redrawn as often as they change (a software rasteriser cannot afford redrawing everything
 * at 60 Hz):
 *  - static (draw_static): background, frame, title, fixed labels, the map outline -- drawn
 *    once into the static layer;
 *  - cached (draw): the data -- drawn over the panel's part of the static layer into the base
 *    picture when the model changed or the second turned (ages, clock), at most every
 *    refresh_ms; the scene adds the state of its data in its title bar: while live
 *    "实时 · 变化于 N秒前" (the data is current; N real seconds since this panel's data last
 *    changed), while the hub is unreachable a 断开 badge and "数据截至 N秒前" (N since the
 *    state was last known current: the same N in every panel and in the header);
 *  - overlay (draw_anim): what moves every frame (video tiles, pulses) -- drawn over a copy of
 *    the base picture.
 * Text is recorded for --text-dump per layer and panel (group), under the panel's type.
 * Number formats shared by the panels are in fmt.h.
 *
 * Thread: render thread only.
 */
#ifndef CW_SCENE_H
#define CW_SCENE_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "draw.h"
#include "fmt.h"
#include "layout.h"
#include "model.h"
#include "text.h"

/* Theme (dark command-centre blue). */
#define COL_BG DRAW_RGBA(3, 10, 26, 255)
#define COL_PANEL_TOP DRAW_RGBA(10, 30, 64, 236)
#define COL_PANEL_BOT DRAW_RGBA(6, 19, 44, 236)
#define COL_BORDER DRAW_RGBA(33, 92, 160, 210)
#define COL_ACCENT DRAW_RGBA(63, 208, 255, 255)
#define COL_TEXT DRAW_RGBA(226, 238, 255, 255)
#define COL_TEXT_DIM DRAW_RGBA(143, 168, 206, 255)
#define COL_TEXT_FAINT DRAW_RGBA(92, 116, 152, 255)
#define COL_GRID DRAW_RGBA(60, 100, 150, 70)
#define COL_NUM DRAW_RGBA(96, 228, 255, 255)
#define COL_OK DRAW_RGBA(46, 229, 157, 255)
#define COL_WARN DRAW_RGBA(255, 184, 0, 255)
#define COL_ALERT DRAW_RGBA(255, 77, 79, 255)
#define COL_OFFLINE DRAW_RGBA(126, 138, 158, 255)
#define COL_CLOSED DRAW_RGBA(74, 110, 168, 255)
#define COL_ISSUED DRAW_RGBA(255, 196, 64, 255)
#define COL_STALE DRAW_RGBA(255, 77, 79, 255)

typedef struct scene scene;

/* One frame's shared inputs. */
typedef struct scene_frame {
    draw_t *d;
    text_t *t;
    model *m;
    const layout *l;
    int64_t real_ms; /* cwt_real_ms() */
    int64_t now_ms;  /* business now (model_now) */
    double anim_s;   /* monotonic seconds, for animation */
    float s;         /* UI scale (layout) */
    bool stale;      /* the hub is unreachable */
    bool exact;      /* redraw cached layers on every change, refresh_ms ignored (screenshots) */
    bool full;       /* the target was copied whole from the base: every overlay is drawn */
    /* told what changes on screen: each redrawn panel, each overlay (canvas pixels) */
    void (*damage)(void *ud, float x, float y, float w, float h, bool opaque);
    void *damage_ud;
} scene_frame;

typedef struct panel panel;

typedef struct panel_ops {
    const char *type;
    const char *default_title;    /* NULL: no frame or title bar (the panel draws everything) */
    const char *default_title_en; /* the same for `language: en` */
    /* Validate the layout options and set up; on error write "FIELD: problem" to err. */
    int (*create)(panel *p, char *err, size_t errn);
    void (*draw_static)(panel *p, scene_frame *f); /* see above; each may be NULL */
    void (*draw)(panel *p, scene_frame *f);
    void (*draw_anim)(panel *p, scene_frame *f);
    int refresh_ms;         /* least time between two redraws of the cached layer (0: at once) */
    bool cached_title_only; /* the cached layer draws only in the title bar */
    void (*destroy)(panel *p);
    /* Real ms the panel's data last arrived (for its age); 0: none yet. NULL: no age. */
    int64_t (*data_ms)(panel *p, scene_frame *f);
    /* The panel needs frames without new data (animations, video). */
    bool (*animating)(panel *p, scene_frame *f);
    /* Every visible online camera tile has its first frame (screenshot). */
    bool (*ready)(panel *p);
    /* Add "camera id": "ok"|"no_signal" for every open tile. */
    void (*report)(panel *p, json_t *cameras);
} panel_ops;

struct panel {
    const panel_ops *ops;
    const layout_panel *lp;
    const layout *l;
    layout_rect r; /* the whole panel */
    layout_rect c; /* the content area (inside the frame, below the title) */
    char title[160];
    void *priv;
    void (*wake)(void *ud); /* wakes the render loop (video frames) */
    void *wake_ud;
    uint64_t key;     /* what the cached layer shows (model version, second, stale) */
    int64_t drawn_ms; /* when it was drawn (real ms) */
    bool valid;
    bool drawn_stale, drawn_empty; /* it showed STALE / no data yet: redraw without delay */
};

extern const panel_ops panel_header_ops, panel_kpi_ops, panel_map_ops, panel_ranking_ops,
    panel_trend_ops, panel_alerts_ops, panel_clock_ops, panel_cameras_ops;

/* Build the panels of l. NULL with "FILE:LINE: panels[i].FIELD: problem" lines in err. */
scene *scene_create(const layout *l, void (*wake)(void *ud), void *ud, char *err, size_t errn);
void scene_destroy(scene *s);
/* Draw the static layer (into the current framebuffer, cleared by the caller); the cached
 * layers are then all out of date. */
void scene_draw_static(scene *s, scene_frame *f);
/* Bring the base picture (FBO base, the viewport's size) up to date: each panel whose cached
 * layer is out of date gets its part of the static layer (FBO layer) back and is drawn over
 * it. Returns the number of panels redrawn. */
int scene_draw_cached(scene *s, scene_frame *f, GLuint base, GLuint layer, layout_rect vp);
/* Draw the overlays (into the current framebuffer). */
void scene_draw_anim(scene *s, scene_frame *f);
bool scene_animating(scene *s, scene_frame *f);
bool scene_ready(scene *s);
/* Per-camera tile states of every camera panel: {"LH-00-CAM-W01": "ok", ...}. */
json_t *scene_camera_report(scene *s);

/* ---- shared helpers ---- */

uint32_t scene_status_color(int status);
/* 正常, 预警, 告警, 离线, 休息, 未知 (ok, warning, alert, offline, closed, unknown) */
const char *scene_status_label(const scene_frame *f, int status);
uint32_t scene_severity_color(int sev); /* 1..4 */

/* A province's cities by their people waiting (the province map and ranking): class 0 none
 * (0 waiting), 1 low (>= th[0]), 2 some (>= th[1]), 3 many (>= th[2]); th NULL: the default
 * {1, 20, 50}. Its colour and its name ("none", "low", "some", "many"). */
#define SCENE_WAITING_CLASSES 4
int scene_waiting_class(double waiting, const double th[3]);
uint32_t scene_waiting_color(int cls);
const char *scene_waiting_name(int cls);

/* Path of a file under assets/ (rel, e.g. "map/linhai.geojson"): $CW_ASSET_DIR, else
 * <exe>/../assets or <exe>/../../assets when it exists there, else the source tree's. */
const char *scene_asset_path(const char *rel, char *out, size_t n);

/* An overlay (draw_anim) covers this canvas rectangle this frame. */
void scene_damage(scene_frame *f, float x, float y, float w, float h);
/* An opaque overlay (a video tile) paints all of it: nothing under it needs restoring. A
 * panel that stops painting such a rectangle reports it with scene_damage() that frame. */
void scene_damage_opaque(scene_frame *f, float x, float y, float w, float h);

/* ---- the wall's own words, in the layout's language (layout.lang) ---- */
const char *scene_tr(const scene_frame *f, const char *zh, const char *en);
/* An age in real ms: "12秒前", "2分钟前" (zh) or "12 s ago", "2 min ago" (en). */
void scene_ago(const scene_frame *f, int64_t ms, char *out, size_t n);
/* The badge of a wall that shows no live state: 认证失败 (the hub refused the token) or 断开;
 * AUTH FAILED or STALE in English. */
const char *scene_conn_badge(const scene_frame *f);
/* While stale: "数据截至 N秒前" (N since the state was last known current, model.known_ms),
 * or "尚无数据" when it never was. */
void scene_data_as_of(const scene_frame *f, char *out, size_t n);

/* A small rounded pill with text; returns its width. */
float scene_pill(scene_frame *f, float x, float y, float h, uint32_t bg, uint32_t fg,
                 const char *text, int flags);

#endif
