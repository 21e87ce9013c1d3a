/* layout: a wall layout file (YAML) -- the virtual canvas, its screens and bezels, and the
 * panels placed on it; plus the viewport and seam arithmetic that follows from them.
 *
 * The wall is a grid of `screens` (cols x rows, each width x height pixels). Between two
 * screens the physical bezels hide bezel_x (bezel_y) pixels: the canvas includes those hidden
 * pixels, so a line crossing a seam continues straight, and
 *   canvas width  = cols * width  + (cols - 1) * bezel_x
 *   canvas height = rows * height + (rows - 1) * bezel_y.
 * Panel rectangles are in canvas pixels. A viewport (--viewport X,Y,W,H, default the whole
 * canvas) is the part one machine drives; what it shows is the viewport minus the bezel
 * bands, packed into one output of out_w x out_h pixels (e.g. 3x3 screens of 1920x1080 with
 * any bezel: 5760 x 3240), described by `regions` (canvas rect -> output rect).
 *
 * Seams: a canvas x (y) band that is not on any screen (the bezel band, or the zero-width
 * line between two screens when the bezel is 0). Text and cell boundaries are kept off them
 * (layout_cells, layout_avoid_seams).
 *
 * Panel options other than type/rect/title are kept as a JSON object for the panel's own
 * parser (numbers, booleans and strings as YAML plain scalars read them).
 */
#ifndef CW_LAYOUT_H
#define CW_LAYOUT_H

#include <stdbool.h>

#include <jansson.h>

#define LAYOUT_MAX_PANELS 32

/* The language of the wall's own words (connection state, ages): `language: zh` (default)
 * or `en`. Hall names, alert titles and summaries come from the hub as they are. */
enum { LAYOUT_LANG_ZH, LAYOUT_LANG_EN };
#define LAYOUT_MAX_REGIONS 64

typedef struct layout_rect {
    float x, y, w, h;
} layout_rect;

typedef struct layout_panel {
    char *type;  /* header, kpi, map, ranking, trend, alerts, clock, cameras */
    char *title; /* NULL: the panel's default */
    layout_rect r;
    int line;      /* line of the panel's entry in the file */
    json_t *opts;  /* the whole mapping as JSON (owned) */
    char **scenes; /* `scenes: [night]`: shown only in these scenes; none: in every scene */
    int nscenes;
} layout_panel;

typedef struct layout_region {
    layout_rect canvas; /* the part of the canvas ... */
    layout_rect out;    /* ... shown here in the output */
} layout_region;

typedef struct layout {
    char *path;
    char *title;    /* the wall's title (header) */
    int cols, rows; /* screens */
    int screen_w, screen_h;
    int bezel_x, bezel_y;
    int canvas_w, canvas_h;
    float scale;  /* UI scale: 1 at 1080p */
    int fps;      /* frame rate cap */
    int anim_fps; /* frame rate when only animations and video move */
    int lang;     /* LAYOUT_LANG_ZH (default) or LAYOUT_LANG_EN */
    layout_panel panels[LAYOUT_MAX_PANELS];
    int npanels;
    char scene[48]; /* the scene shown (the hub's, with --wall); "overview" at load */
} layout;

/* Does any panel (of any scene) have the option `source: SRC` (e.g. "province")? */
bool layout_has_source(const layout *l, const char *src);

/* Is panel p part of the layout's current scene (l->scene)? */
bool layout_panel_shown(const layout *l, const layout_panel *p);

/* Parse and validate FILE. NULL on failure with *errors set to malloc'd
 * "FILE:LINE: FIELD: problem" lines (caller frees). */
layout *layout_load(const char *path, char **errors);
/* Same from a string (path used in messages). */
layout *layout_load_string(const char *text, const char *path, char **errors);
void layout_free(layout *l);

/* The output for a viewport (canvas pixels): fills regions (at most max) and the output size.
 * Returns the number of regions, or -1 when the viewport is outside the canvas or shows no
 * screen pixel. */
int layout_viewport(const layout *l, layout_rect vp, layout_region *regions, int max, int *out_w,
                    int *out_h);

/* Parse "X,Y,W,H" (integers, W and H > 0). 0 or -1. */
int layout_parse_viewport(const char *s, layout_rect *vp);

/* Canvas x (axis 0) or y (axis 1) of screen index i's first pixel. */
float layout_screen_start(const layout *l, int axis, int i);

/* True when [a, a + len) on that axis crosses a seam (contains a bezel pixel or spans the
 * boundary between two screens). */
bool layout_crosses_seam(const layout *l, int axis, float a, float len);

/* Move a box (x, y, w, h) by the least distance so that it crosses no seam on either axis,
 * staying inside [lo, hi) bounds (bounds[0..3] = x0, y0, x1, y1). Leaves it when no such
 * place exists. */
void layout_avoid_seams(const layout *l, float *x, float *y, float w, float h,
                        const float bounds[4]);

/* Split [a, a + len) on that axis into n cells separated by gap pixels, keeping every cell
 * on one screen when the seams allow it: the span is cut at seams into segments (bezel bands
 * dropped), cells are shared among segments in proportion to their length (largest
 * remainder), and split evenly within a segment. Writes n (start, length) pairs to out.
 * Returns the number of cells that still cross a seam (0 when all are clear). */
int layout_cells(const layout *l, int axis, float a, float len, int n, float gap, float *out);

#endif
