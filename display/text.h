/* text: shaped, crisp text for the wall -- FreeType + HarfBuzz with Noto Sans CJK SC.
 *
 * Every size is rasterised at its own pixel size (rounded to whole pixels), hinted lightly,
 * so small labels and huge numbers are both sharp; glyphs live in R8 atlas pages (2048 x
 * 2048, up to TEXT_MAX_PAGES; when all are full the atlas starts over). Shaped runs are
 * cached by (style, size, flags, string).
 *
 * Geometry: a line of size S occupies [y, y + S) -- its em box, baseline at y + 0.88 S (Noto
 * Sans CJK's typographic ascender). Glyph origins are snapped to whole canvas pixels.
 *
 * Text dump: while recording is on (text_dump_enable), every text_draw is kept as
 * {panel, text, x, y, w, h, size} (canvas pixels, x/y the top-left of the line box) in the
 * current group. The caller clears a group when it redraws what that group drew (the wall
 * redraws the static layer, each panel's cached picture and the per-frame overlays at
 * different times), so the items kept are exactly the text on screen; text_dump_write()
 * writes them as JSON lines, by group.
 *
 * Thread: render thread only.
 */
#ifndef CW_TEXT_H
#define CW_TEXT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "draw.h"

typedef struct text text_t;

enum text_style { TEXT_REGULAR, TEXT_BOLD, TEXT_NSTYLES };

/* Flags for text_draw / text_width. */
enum {
    TEXT_LEFT = 0,
    TEXT_CENTER = 1,
    TEXT_RIGHT = 2,
    TEXT_HALIGN = 3,
    TEXT_MIDDLE = 4, /* y is the vertical centre of the em box, not its top */
    TEXT_TNUM = 8,   /* tabular figures (digits of equal width) */
    TEXT_CUT = 16    /* text_draw_fit: cut with "…" without shrinking first */
};

#define TEXT_ASCENT 0.88f

/* The system's Noto Sans CJK (fonts-noto-cjk), regular and bold. */
#define TEXT_FONT_REGULAR "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
#define TEXT_FONT_BOLD "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"
/* Index of the SC (Simplified Chinese) face in those collections. */
#define TEXT_FACE_SC 2

/* Fonts: regular and bold files (a missing bold falls back to regular), face index in the
 * collection. NULL with a message in err on failure. */
text_t *text_create(draw_t *d, const char *regular, const char *bold, int face_index, char *err,
                    size_t errn);
void text_destroy(text_t *t);

/* Draw UTF-8 s at (x, y) (see flags); returns its advance width in pixels. */
float text_draw(text_t *t, int style, float size, float x, float y, int flags, uint32_t color,
                const char *s);
/* Like text_draw, but a text wider than maxw is first shrunk (down to 80 % of size), then cut
 * with "…". Returns the width drawn. */
float text_draw_fit(text_t *t, int style, float size, float x, float y, float maxw, int flags,
                    uint32_t color, const char *s);
/* Advance width of s at that size. */
float text_width(text_t *t, int style, float size, int flags, const char *s);

/* The panel name recorded with the text drawn from now on (a static string). */
void text_set_panel(text_t *t, const char *panel);
/* The group recorded items go to, and forgetting a group's items. */
void text_dump_group(text_t *t, int group);
void text_dump_clear(text_t *t, int group);
/* Frame boundary: ages the caches. */
void text_frame_begin(text_t *t);
void text_dump_enable(text_t *t, bool on);
/* Write the recorded items as JSON lines; 0 or -1. */
int text_dump_write(text_t *t, FILE *f);
/* An extra JSON line (e.g. a map marker) in the current group; the object is stolen. */
void text_dump_add(text_t *t, json_t *obj);

typedef struct text_stats {
    int pages, glyphs, runs, resets;
} text_stats;
void text_get_stats(const text_t *t, text_stats *s);

#endif
