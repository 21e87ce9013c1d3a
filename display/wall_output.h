/* wall_output: from the scene to the glass. The layout's viewport (all of the canvas by
 * default) minus the bezel bands is the output. When that is one region shown 1:1 the scene is
 * drawn straight into the window ("direct"), repainting only what changed when the driver
 * tells the back buffer's age (or with GLX_MESA_copy_sub_buffer on software GL); otherwise (a
 * viewport over several screens, a screenshot, a window smaller than the output) it is drawn
 * into an offscreen canvas, whose regions are copied into the output framebuffer, which is then
 * shown in the window (scaled when the window is smaller).
 *
 * Each frame: the static layer (drawn once), the cached panels, the animated overlays, the
 * copies, the swap. Thread: render thread (GL).
 */
#ifndef CW_WALL_OUTPUT_H
#define CW_WALL_OUTPUT_H

#include <stdbool.h>

#include "draw.h"
#include "gl.h"
#include "layout.h"
#include "present.h"
#include "scene.h"
#include "wall_window.h"

typedef struct wall_damage {
    present_t *pr;
    float x0, y0; /* the viewport's canvas origin */
} wall_damage;

typedef struct wall_output {
    layout_rect vp;
    layout_region regions[LAYOUT_MAX_REGIONS];
    int nreg, out_w, out_h;
    gl_fbo canvas, output, layer, base;
    bool layer_ok, direct, glx, subcopy, full_next, screenshot;
    present_t pr;
    wall_damage damage;
} wall_output;

/* Framebuffers for the viewport's regions (from layout_viewport) shown in ww. Returns 0, or -1
 * when a framebuffer cannot be made. */
int wall_output_init(wall_output *o, layout_rect vp, const layout_region *regions, int nreg,
                     int out_w, int out_h, const wall_window *ww, bool screenshot);
/* Draws and presents one frame of sc. Returns the framebuffer that holds the whole output (0:
 * the window's), for a screenshot. */
GLuint wall_output_frame(wall_output *o, scene *sc, draw_t *d, scene_frame *fr,
                         const wall_window *ww, uint64_t *partial_frames);
/* Everything must be repainted (the window was exposed or resized). */
/* Other panels now (a scene switch): the static layer is drawn again too. */
void wall_output_new_scene(wall_output *o);
void wall_output_invalidate(wall_output *o);
void wall_output_destroy(wall_output *o);

#endif
