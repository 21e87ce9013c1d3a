/* present: what must be repainted in the window's back buffer this frame.
 *
 * The wall keeps its picture in an offscreen "base" (static layer + cached panels). Copying
 * all of it into the window every frame costs a full-screen pass, which on a software
 * rasteriser (llvmpipe) is most of a frame. When the driver tells the age of the back buffer
 * (GLX_EXT_buffer_age / EGL_EXT_buffer_age: it holds the frame presented `age` swaps ago;
 * 0 = unknown contents), only what changed since that frame is copied: the panels redrawn in
 * the frames since, and the overlays (video, pulses) drawn in those frames, which must be
 * erased. Overlays are then drawn again on top.
 *
 * Software GL on X11 (Mesa llvmpipe: no buffer age, no vsync) has GLX_MESA_copy_sub_buffer:
 * the wall then never swaps; the back buffer keeps the last frame (age 1 every frame) and the
 * changed rectangles are copied to the window (present_copy).
 *
 * present_t keeps the damage of the last PRESENT_HISTORY frames. Rectangles are in the
 * window's pixels (y down), already clipped by the caller.
 *
 * Thread: render thread only.
 */
#ifndef CW_PRESENT_H
#define CW_PRESENT_H

#include <stdbool.h>

#define PRESENT_HISTORY 4
#define PRESENT_MAX_RECTS 64

typedef struct present_rect {
    float x, y, w, h;
    bool opaque; /* fully painted by an opaque overlay (a video tile): never restored */
} present_rect;

typedef struct present_frame {
    present_rect r[PRESENT_MAX_RECTS];
    int n;
    bool full; /* too many rectangles: the whole window */
} present_frame;

typedef struct present_t {
    present_frame hist[PRESENT_HISTORY]; /* [0] = the frame being built, [1] = the last one */
    float w, h;                          /* window size */
} present_t;

void present_init(present_t *p, float w, float h);

/* Start a frame: the history moves one step. */
void present_begin(present_t *p);
/* Something changed (a panel redrawn) or is drawn over the base (an overlay) this frame. */
void present_damage(present_t *p, float x, float y, float w, float h);
/* An opaque overlay covers the rectangle completely (a video tile): the window needs it, the
 * base copy under it does not; it stays valid in the back buffer until painted again. */
void present_damage_opaque(present_t *p, float x, float y, float w, float h);

/* restore: what to copy from the base before the overlays are drawn, for a back buffer of
 * that age -- the damage of this frame and of the `age` frames before it (the panels
 * redrawn since, the overlays to erase), opaque overlays left out. Otherwise: what changed in
 * the back buffer in this frame and the last one, opaque overlays included (what to show).
 * Fills out (at most max rectangles, merged where they touch) and returns their count, or
 * -1 for "everything" (age 0 or beyond the history, too many rectangles, or most of the
 * window). */
int present_plan(const present_t *p, int age, bool restore, present_rect *out, int max);

/* The back buffer's age from GLX_EXT_buffer_age (glx: the context is GLX, SDL's x11 driver)
 * or EGL_EXT_buffer_age on the current context: 0 when unknown or unsupported. */
int present_buffer_age(bool glx);

/* True when the current context is GLX on a software renderer with GLX_MESA_copy_sub_buffer. */
bool present_can_copy(void);
/* Copy rectangles (window pixels, y down; n < 0: the whole w x h window) from the back buffer
 * to the window. */
void present_copy(const present_rect *r, int n, int w, int h);

#endif
