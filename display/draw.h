/* draw: the wall's batched 2D renderer -- quads, anti-aliased lines, discs, rings, glows,
 * rounded rectangles, glyphs and images, plus static meshes and stencil fills for the map.
 * One vertex shader (shaders/ui.vert) and three fragment shaders: ui_solid.frag (fills),
 * ui_tex.frag (glyphs, images) and ui_shape.frag (distance-function shapes); keeping the
 * common fills and text free of the shapes' arithmetic matters on software rasterisers.
 *
 * Coordinates are canvas pixels (the layout's virtual canvas, y down). draw_begin() says which
 * canvas rectangle the current framebuffer shows; everything after it is in canvas pixels.
 * Vertices accumulate in one buffer and go to GL in as few draw calls as possible: a batch is
 * flushed when it is full, when another program or texture is needed, and by draw_flush(), which
 * callers must use before issuing GL calls of their own (video tiles, stencil).
 *
 * Colours are 0xRRGGBBAA.
 *
 * Thread: render thread only.
 */
#ifndef CW_DRAW_H
#define CW_DRAW_H

#include <stdbool.h>
#include <stdint.h>

#include <epoxy/gl.h>

typedef struct draw draw_t;

/* Vertex layout shared with shaders/ui.vert (and static meshes). */
typedef struct draw_vertex {
    float x, y; /* canvas px */
    float u, v; /* texture coordinates or shape-local coordinates, per mode */
    uint8_t rgba[4];
    float p[4]; /* p[0] = mode (enum draw_mode), p[1..3] its parameters */
    float q[2]; /* more parameters (rounded rectangle border) */
} draw_vertex;

enum draw_mode {
    DRAW_SOLID = 0,
    DRAW_GLYPH = 1, /* alpha = texture red channel */
    DRAW_IMAGE = 2, /* rgba texture */
    DRAW_DISC = 3,  /* uv in [-1, 1]; p1 inner radius (0: disc), p2 AA width (uv units) */
    DRAW_GLOW = 4,  /* radial falloff (1 - r)^2 */
    DRAW_LINE = 5,  /* v = px across the line; p1 half width */
    DRAW_RRECT = 6  /* uv px from the centre; p1, p2 half size, p3 radius, q0 border px */
};

#define DRAW_RGBA(r, g, b, a)                                                                      \
    (((uint32_t)(r) << 24) | ((uint32_t)(g) << 16) | ((uint32_t)(b) << 8) | (uint32_t)(a))
/* c with its alpha multiplied by f (0..1). */
uint32_t draw_fade(uint32_t c, float f);
/* Linear blend between a and b (t 0..1). */
uint32_t draw_mix(uint32_t a, uint32_t b, float t);

/* Loads the shaders; NULL with a message (naming the file) in err on failure. */
draw_t *draw_create(char *err, size_t errn);
void draw_destroy(draw_t *d);

/* The current framebuffer is fb_w x fb_h and shows the canvas rectangle at (x0, y0) of the
 * same size. Sets the viewport and blending. */
void draw_begin(draw_t *d, float x0, float y0, int fb_w, int fb_h);
/* The canvas -> clip space transform of the current draw_begin (for callers' own shaders):
 * clip = canvas * scale + offset. */
void draw_get_projection(const draw_t *d, float scale[2], float offset[2]);
/* Send the pending batch to GL. */
void draw_flush(draw_t *d);
/* Draw calls (GL) issued since draw_create; quads queued since then. */
void draw_stats(const draw_t *d, uint64_t *calls, uint64_t *quads);

/* Clip to a canvas rectangle (flushes); draw_clip_off() ends it. Nested clips intersect. */
void draw_clip(draw_t *d, float x, float y, float w, float h);
void draw_clip_off(draw_t *d);

void draw_rect(draw_t *d, float x, float y, float w, float h, uint32_t c);
/* Vertical gradient from top colour to bottom colour. */
void draw_rect_vgrad(draw_t *d, float x, float y, float w, float h, uint32_t top, uint32_t bottom);
/* Horizontal gradient from left colour to right colour. */
void draw_rect_hgrad(draw_t *d, float x, float y, float w, float h, uint32_t left, uint32_t right);
/* A quad with four arbitrary corners (clockwise from top-left) and one colour per corner. */
void draw_quad4(draw_t *d, const float xy[8], const uint32_t c[4]);
/* Rounded rectangle: fill (alpha 0: none) and a border of bw px inside the edge. */
void draw_rrect(draw_t *d, float x, float y, float w, float h, float radius, uint32_t fill,
                uint32_t border, float bw);
/* Rectangle outline of width lw inside the rectangle. */
void draw_frame(draw_t *d, float x, float y, float w, float h, float lw, uint32_t c);
/* Anti-aliased line of width w. */
void draw_line(draw_t *d, float x0, float y0, float x1, float y1, float w, uint32_t c);
/* Anti-aliased polyline through n points (xy pairs). */
void draw_polyline(draw_t *d, const float *xy, int n, float w, uint32_t c);
void draw_disc(draw_t *d, float cx, float cy, float r, uint32_t c);
void draw_ring(draw_t *d, float cx, float cy, float r, float width, uint32_t c);
/* Soft radial glow of radius r (alpha c.a at the centre, 0 at r). */
void draw_glow(draw_t *d, float cx, float cy, float r, uint32_t c);
/* A textured quad: mode DRAW_GLYPH (R8 texture, colour c) or DRAW_IMAGE (RGBA, tinted). */
void draw_textured(draw_t *d, GLuint tex, int mode, float x, float y, float w, float h, float u0,
                   float v0, float u1, float v1, uint32_t c);

/* Fill helper for vertices built by callers (e.g. the map): a shape-local vertex. */
draw_vertex draw_vert(float x, float y, float u, float v, uint32_t c, int mode, float p1, float p2,
                      float p3);

/* Static geometry kept in its own buffer. ranges: n pieces drawn as `prim` each
 * (GL_TRIANGLES, GL_TRIANGLE_FAN, ...), given by first vertex and count. */
typedef struct draw_mesh draw_mesh;
draw_mesh *draw_mesh_create(const draw_vertex *v, int nv, GLenum prim, const int *first,
                            const int *count, int nranges);
void draw_mesh_destroy(draw_mesh *m);
void draw_mesh_draw(draw_t *d, draw_mesh *m);

/* Stencil fill of non-convex polygons (even-odd): draw_stencil_begin(), then draw the
 * polygons as triangle fans (draw_mesh_draw); draw_stencil_cover() switches to colour
 * drawing where the stencil is set (what follows, e.g. a rectangle covering the polygons, is
 * drawn only inside and clears the stencil); draw_stencil_end() restores normal drawing. The
 * framebuffer needs a stencil buffer cleared to 0. */
void draw_stencil_begin(draw_t *d);
void draw_stencil_cover(draw_t *d);
void draw_stencil_end(draw_t *d);

#endif
