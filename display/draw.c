/* draw: batched quads in one shader program; see draw.h.
 *
 * Every primitive is a quad (4 vertices, 6 indices from one static index buffer); the
 * fragment shader picks what to do from the vertex's mode, so solid fills, text, lines and
 * discs share a batch. Only a change of texture (glyph atlas page, image) or a caller's
 * draw_flush() ends a batch.
 */
#include "draw.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gl.h"

#define MAX_QUADS 16384
#define MAX_CLIPS 8

enum { P_SOLID, P_TEX, P_SHAPE, P_COUNT };

struct draw {
    GLuint prog[P_COUNT], vao, vbo, ebo;
    GLint u_scale[P_COUNT], u_offset[P_COUNT], u_tex[P_COUNT];
    draw_vertex *v;
    int nv;
    /* glyphs wait in their own batch and are drawn over the shapes of the same interval */
    draw_vertex *tv;
    int ntv;
    GLuint ttex;
    int cls;    /* program of the pending batch */
    GLuint tex; /* texture of the pending batch (P_TEX) */
    float x0, y0;
    int fb_w, fb_h;
    float clip[MAX_CLIPS][4];
    int nclip;
    uint64_t calls, quads;
};

struct draw_mesh {
    GLuint vao, vbo;
    int cls;
    GLenum prim;
    int *first, *count;
    int n;
};

uint32_t draw_fade(uint32_t c, float f)
{
    if (f < 0) f = 0;
    if (f > 1) f = 1;
    uint32_t a = (uint32_t)lrintf((float)(c & 0xff) * f);
    return (c & 0xffffff00u) | a;
}

uint32_t draw_mix(uint32_t a, uint32_t b, float t)
{
    if (t < 0) t = 0;
    if (t > 1) t = 1;
    uint32_t out = 0;
    for (int s = 0; s < 32; s += 8) {
        float x = (float)((a >> s) & 0xff), y = (float)((b >> s) & 0xff);
        out |= (uint32_t)lrintf(x + (y - x) * t) << s;
    }
    return out;
}

static void setup_attribs(void)
{
    GLsizei st = sizeof(draw_vertex);
    glEnableVertexAttribArray(0);
    glVertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, st, (void *)offsetof(draw_vertex, x));
    glEnableVertexAttribArray(1);
    glVertexAttribPointer(1, 2, GL_FLOAT, GL_FALSE, st, (void *)offsetof(draw_vertex, u));
    glEnableVertexAttribArray(2);
    glVertexAttribPointer(2, 4, GL_UNSIGNED_BYTE, GL_TRUE, st, (void *)offsetof(draw_vertex, rgba));
    glEnableVertexAttribArray(3);
    glVertexAttribPointer(3, 4, GL_FLOAT, GL_FALSE, st, (void *)offsetof(draw_vertex, p));
    glEnableVertexAttribArray(4);
    glVertexAttribPointer(4, 2, GL_FLOAT, GL_FALSE, st, (void *)offsetof(draw_vertex, q));
}

draw_t *draw_create(char *err, size_t errn)
{
    draw_t *d = calloc(1, sizeof *d);
    uint16_t *idx = NULL;
    if (!d) goto fail;
    d->v = malloc(sizeof(draw_vertex) * MAX_QUADS * 4);
    d->tv = malloc(sizeof(draw_vertex) * MAX_QUADS * 4);
    idx = malloc(sizeof(uint16_t) * MAX_QUADS * 6);
    if (!d->v || !d->tv || !idx) {
        snprintf(err, errn, "draw: out of memory");
        goto fail;
    }
    static const char *frags[P_COUNT] = {"ui_solid.frag", "ui_tex.frag", "ui_shape.frag"};
    for (int i = 0; i < P_COUNT; i++) {
        d->prog[i] = gl_program_load("ui.vert", frags[i], err, errn);
        if (!d->prog[i]) goto fail;
        d->u_scale[i] = glGetUniformLocation(d->prog[i], "u_scale");
        d->u_offset[i] = glGetUniformLocation(d->prog[i], "u_offset");
        d->u_tex[i] = glGetUniformLocation(d->prog[i], "u_tex");
    }
    for (int q = 0; q < MAX_QUADS; q++) {
        uint16_t b = (uint16_t)(q * 4);
        uint16_t *o = idx + q * 6;
        o[0] = b;
        o[1] = (uint16_t)(b + 1);
        o[2] = (uint16_t)(b + 2);
        o[3] = b;
        o[4] = (uint16_t)(b + 2);
        o[5] = (uint16_t)(b + 3);
    }
    glGenVertexArrays(1, &d->vao);
    glBindVertexArray(d->vao);
    glGenBuffers(1, &d->vbo);
    glBindBuffer(GL_ARRAY_BUFFER, d->vbo);
    glBufferData(GL_ARRAY_BUFFER, sizeof(draw_vertex) * MAX_QUADS * 4, NULL, GL_STREAM_DRAW);
    glGenBuffers(1, &d->ebo);
    glBindBuffer(GL_ELEMENT_ARRAY_BUFFER, d->ebo);
    glBufferData(GL_ELEMENT_ARRAY_BUFFER, sizeof(uint16_t) * MAX_QUADS * 6, idx, GL_STATIC_DRAW);
    setup_attribs();
    glBindVertexArray(0);
    free(idx);
    return d;
fail:
    free(idx);
    draw_destroy(d);
    return NULL;
}

void draw_destroy(draw_t *d)
{
    if (!d) return;
    for (int i = 0; i < P_COUNT; i++)
        if (d->prog[i]) glDeleteProgram(d->prog[i]);
    if (d->vbo) glDeleteBuffers(1, &d->vbo);
    if (d->ebo) glDeleteBuffers(1, &d->ebo);
    if (d->vao) glDeleteVertexArrays(1, &d->vao);
    free(d->v);
    free(d->tv);
    free(d);
}

void draw_get_projection(const draw_t *d, float scale[2], float offset[2])
{
    scale[0] = 2.0f / (float)d->fb_w;
    scale[1] = -2.0f / (float)d->fb_h;
    offset[0] = -1.0f - 2.0f * d->x0 / (float)d->fb_w;
    offset[1] = 1.0f + 2.0f * d->y0 / (float)d->fb_h;
}

static void use_program(draw_t *d, int cls)
{
    float sc[2], of[2];
    draw_get_projection(d, sc, of);
    glUseProgram(d->prog[cls]);
    glUniform2f(d->u_scale[cls], sc[0], sc[1]);
    glUniform2f(d->u_offset[cls], of[0], of[1]);
    if (d->u_tex[cls] >= 0) glUniform1i(d->u_tex[cls], 0);
}

static int mode_class(int mode)
{
    return mode == DRAW_GLYPH || mode == DRAW_IMAGE ? P_TEX : P_SHAPE;
}

void draw_begin(draw_t *d, float x0, float y0, int fb_w, int fb_h)
{
    d->nv = 0;
    d->ntv = 0;
    d->tex = 0;
    d->x0 = x0;
    d->y0 = y0;
    d->fb_w = fb_w;
    d->fb_h = fb_h;
    d->nclip = 0;
    glViewport(0, 0, fb_w, fb_h);
    glDisable(GL_SCISSOR_TEST);
    glDisable(GL_DEPTH_TEST);
    glDisable(GL_CULL_FACE);
    glEnable(GL_BLEND);
    glBlendFuncSeparate(GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA, GL_ONE, GL_ONE_MINUS_SRC_ALPHA);
}

static void submit(draw_t *d, int cls, GLuint tex, const draw_vertex *v, int nv)
{
    use_program(d, cls);
    if (cls == P_TEX) {
        glActiveTexture(GL_TEXTURE0);
        glBindTexture(GL_TEXTURE_2D, tex);
    }
    glBindVertexArray(d->vao);
    glBindBuffer(GL_ARRAY_BUFFER, d->vbo);
    glBufferData(GL_ARRAY_BUFFER, sizeof(draw_vertex) * (size_t)nv, v, GL_STREAM_DRAW);
    glDrawElements(GL_TRIANGLES, nv / 4 * 6, GL_UNSIGNED_SHORT, 0);
    glBindVertexArray(0);
    d->calls++;
}

static void flush_shapes(draw_t *d)
{
    if (d->nv == 0) return;
    submit(d, d->cls, d->tex, d->v, d->nv);
    d->nv = 0;
    d->tex = 0;
}

static void flush_text(draw_t *d)
{
    if (d->ntv == 0) return;
    submit(d, P_TEX, d->ttex, d->tv, d->ntv);
    d->ntv = 0;
}

void draw_flush(draw_t *d)
{
    flush_shapes(d);
    flush_text(d);
}

void draw_stats(const draw_t *d, uint64_t *calls, uint64_t *quads)
{
    *calls = d->calls;
    *quads = d->quads;
}

static void apply_clip(draw_t *d)
{
    if (d->nclip == 0) {
        glDisable(GL_SCISSOR_TEST);
        return;
    }
    float *c = d->clip[d->nclip - 1];
    float x = c[0] - d->x0, y = c[1] - d->y0;
    int sx = (int)floorf(x), sy = (int)floorf((float)d->fb_h - (y + c[3]));
    int sw = (int)ceilf(c[2]), sh = (int)ceilf(c[3]);
    if (sw < 0) sw = 0;
    if (sh < 0) sh = 0;
    glEnable(GL_SCISSOR_TEST);
    glScissor(sx, sy, sw, sh);
}

void draw_clip(draw_t *d, float x, float y, float w, float h)
{
    draw_flush(d);
    if (d->nclip > 0) {
        float *p = d->clip[d->nclip - 1];
        float x1 = fminf(x + w, p[0] + p[2]), y1 = fminf(y + h, p[1] + p[3]);
        x = fmaxf(x, p[0]);
        y = fmaxf(y, p[1]);
        w = fmaxf(0, x1 - x);
        h = fmaxf(0, y1 - y);
    }
    if (d->nclip < MAX_CLIPS) d->nclip++;
    float *c = d->clip[d->nclip - 1];
    c[0] = x;
    c[1] = y;
    c[2] = w;
    c[3] = h;
    apply_clip(d);
}

void draw_clip_off(draw_t *d)
{
    draw_flush(d);
    if (d->nclip > 0) d->nclip--;
    apply_clip(d);
}

/* Room for one more quad of program class cls (with texture tex for P_TEX). Returns the 4
 * vertices to fill. */
static draw_vertex *quad_cls(draw_t *d, int cls, GLuint tex)
{
    if (d->nv && (d->cls != cls || (cls == P_TEX && d->tex != tex))) flush_shapes(d);
    if (d->nv + 4 > MAX_QUADS * 4) flush_shapes(d);
    d->cls = cls;
    d->tex = tex;
    draw_vertex *v = d->v + d->nv;
    d->nv += 4;
    d->quads++;
    memset(v, 0, sizeof(*v) * 4);
    return v;
}

static void put(draw_vertex *v, float x, float y, float u, float t, uint32_t c)
{
    v->x = x;
    v->y = y;
    v->u = u;
    v->v = t;
    v->rgba[0] = (uint8_t)(c >> 24);
    v->rgba[1] = (uint8_t)(c >> 16);
    v->rgba[2] = (uint8_t)(c >> 8);
    v->rgba[3] = (uint8_t)c;
}

static void params(draw_vertex *v, int mode, float p1, float p2, float p3, float q0)
{
    for (int i = 0; i < 4; i++) {
        v[i].p[0] = (float)mode;
        v[i].p[1] = p1;
        v[i].p[2] = p2;
        v[i].p[3] = p3;
        v[i].q[0] = q0;
    }
}

draw_vertex draw_vert(float x, float y, float u, float v, uint32_t c, int mode, float p1, float p2,
                      float p3)
{
    draw_vertex o;
    memset(&o, 0, sizeof o);
    put(&o, x, y, u, v, c);
    o.p[0] = (float)mode;
    o.p[1] = p1;
    o.p[2] = p2;
    o.p[3] = p3;
    return o;
}

void draw_quad4(draw_t *d, const float xy[8], const uint32_t c[4])
{
    draw_vertex *v = quad_cls(d, P_SHAPE, 0);
    for (int i = 0; i < 4; i++)
        put(v + i, xy[2 * i], xy[2 * i + 1], 0, 0, c[i]);
    params(v, DRAW_SOLID, 0, 0, 0, 0);
}

void draw_rect_vgrad(draw_t *d, float x, float y, float w, float h, uint32_t top, uint32_t bottom)
{
    if (w <= 0 || h <= 0) return;
    const float xy[8] = {x, y, x + w, y, x + w, y + h, x, y + h};
    const uint32_t c[4] = {top, top, bottom, bottom};
    draw_quad4(d, xy, c);
}

void draw_rect_hgrad(draw_t *d, float x, float y, float w, float h, uint32_t left, uint32_t right)
{
    if (w <= 0 || h <= 0) return;
    const float xy[8] = {x, y, x + w, y, x + w, y + h, x, y + h};
    const uint32_t c[4] = {left, right, right, left};
    draw_quad4(d, xy, c);
}

void draw_rect(draw_t *d, float x, float y, float w, float h, uint32_t c)
{
    draw_rect_vgrad(d, x, y, w, h, c, c);
}

void draw_frame(draw_t *d, float x, float y, float w, float h, float lw, uint32_t c)
{
    draw_rect(d, x, y, w, lw, c);
    draw_rect(d, x, y + h - lw, w, lw, c);
    draw_rect(d, x, y + lw, lw, h - 2 * lw, c);
    draw_rect(d, x + w - lw, y + lw, lw, h - 2 * lw, c);
}

static void rrect_quad(draw_t *d, float x, float y, float w, float h, float r, uint32_t c, float bw)
{
    float hw = w / 2, hh = h / 2;
    draw_vertex *v = quad_cls(d, P_SHAPE, 0);
    put(v + 0, x - 1, y - 1, -hw - 1, -hh - 1, c);
    put(v + 1, x + w + 1, y - 1, hw + 1, -hh - 1, c);
    put(v + 2, x + w + 1, y + h + 1, hw + 1, hh + 1, c);
    put(v + 3, x - 1, y + h + 1, -hw - 1, hh + 1, c);
    params(v, DRAW_RRECT, hw, hh, r, bw);
}

void draw_rrect(draw_t *d, float x, float y, float w, float h, float radius, uint32_t fill,
                uint32_t border, float bw)
{
    if (w <= 0 || h <= 0) return;
    if (radius > w / 2) radius = w / 2;
    if (radius > h / 2) radius = h / 2;
    if (fill & 0xff) rrect_quad(d, x, y, w, h, radius, fill, 0);
    if ((border & 0xff) && bw > 0) rrect_quad(d, x, y, w, h, radius, border, bw);
}

void draw_line(draw_t *d, float x0, float y0, float x1, float y1, float w, uint32_t c)
{
    float dx = x1 - x0, dy = y1 - y0, len = sqrtf(dx * dx + dy * dy);
    if (len < 1e-4f) return;
    if (w < 1) {
        c = draw_fade(c, w);
        w = 1;
    }
    float hw = w / 2, e = hw + 1;
    float nx = -dy / len * e, ny = dx / len * e;
    draw_vertex *v = quad_cls(d, P_SHAPE, 0);
    put(v + 0, x0 + nx, y0 + ny, 0, e, c);
    put(v + 1, x1 + nx, y1 + ny, 0, e, c);
    put(v + 2, x1 - nx, y1 - ny, 0, -e, c);
    put(v + 3, x0 - nx, y0 - ny, 0, -e, c);
    params(v, DRAW_LINE, hw, 0, 0, 0);
}

void draw_polyline(draw_t *d, const float *xy, int n, float w, uint32_t c)
{
    for (int i = 0; i + 1 < n; i++)
        draw_line(d, xy[2 * i], xy[2 * i + 1], xy[2 * i + 2], xy[2 * i + 3], w, c);
}

static void disc_quad(draw_t *d, float cx, float cy, float r, uint32_t c, int mode, float p1)
{
    if (r <= 0) return;
    float e = r + 1, k = e / r;
    draw_vertex *v = quad_cls(d, P_SHAPE, 0);
    put(v + 0, cx - e, cy - e, -k, -k, c);
    put(v + 1, cx + e, cy - e, k, -k, c);
    put(v + 2, cx + e, cy + e, k, k, c);
    put(v + 3, cx - e, cy + e, -k, k, c);
    params(v, mode, p1, 1.0f / r, 0, 0);
}

void draw_disc(draw_t *d, float cx, float cy, float r, uint32_t c)
{
    disc_quad(d, cx, cy, r, c, DRAW_DISC, 0);
}

void draw_ring(draw_t *d, float cx, float cy, float r, float width, uint32_t c)
{
    if (r <= 0) return;
    disc_quad(d, cx, cy, r, c, DRAW_DISC, fmaxf(0, (r - width) / r));
}

void draw_glow(draw_t *d, float cx, float cy, float r, uint32_t c)
{
    if (r <= 0) return;
    draw_vertex *v = quad_cls(d, P_SHAPE, 0);
    put(v + 0, cx - r, cy - r, -1, -1, c);
    put(v + 1, cx + r, cy - r, 1, -1, c);
    put(v + 2, cx + r, cy + r, 1, 1, c);
    put(v + 3, cx - r, cy + r, -1, 1, c);
    params(v, DRAW_GLOW, 2.0f, 0, 0, 0);
}

void draw_textured(draw_t *d, GLuint tex, int mode, float x, float y, float w, float h, float u0,
                   float v0, float u1, float v1, uint32_t c)
{
    draw_vertex *v;
    if (mode == DRAW_GLYPH) {
        /* the text batch: flushed with draw_flush(), after the shapes */
        if (d->ntv && (d->ttex != tex || d->ntv + 4 > MAX_QUADS * 4)) {
            flush_shapes(d);
            flush_text(d);
        }
        d->ttex = tex;
        v = d->tv + d->ntv;
        d->ntv += 4;
        d->quads++;
        memset(v, 0, sizeof(*v) * 4);
    } else {
        v = quad_cls(d, P_TEX, tex);
    }
    put(v + 0, x, y, u0, v0, c);
    put(v + 1, x + w, y, u1, v0, c);
    put(v + 2, x + w, y + h, u1, v1, c);
    put(v + 3, x, y + h, u0, v1, c);
    params(v, mode, 0, 0, 0, 0);
}

draw_mesh *draw_mesh_create(const draw_vertex *v, int nv, GLenum prim, const int *first,
                            const int *count, int nranges)
{
    draw_mesh *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->first = malloc(sizeof(int) * (size_t)(nranges > 0 ? nranges : 1));
    m->count = malloc(sizeof(int) * (size_t)(nranges > 0 ? nranges : 1));
    if (!m->first || !m->count) goto fail;
    memcpy(m->first, first, sizeof(int) * (size_t)nranges);
    memcpy(m->count, count, sizeof(int) * (size_t)nranges);
    m->n = nranges;
    m->prim = prim;
    int mode = nv > 0 ? (int)(v[0].p[0] + 0.5f) : DRAW_SOLID;
    m->cls = mode == DRAW_SOLID ? P_SOLID : mode_class(mode); /* e.g. stencil fans */
    glGenVertexArrays(1, &m->vao);
    glBindVertexArray(m->vao);
    glGenBuffers(1, &m->vbo);
    glBindBuffer(GL_ARRAY_BUFFER, m->vbo);
    glBufferData(GL_ARRAY_BUFFER, sizeof(draw_vertex) * (size_t)nv, v, GL_STATIC_DRAW);
    setup_attribs();
    glBindVertexArray(0);
    return m;
fail:
    draw_mesh_destroy(m);
    return NULL;
}

void draw_mesh_destroy(draw_mesh *m)
{
    if (!m) return;
    if (m->vbo) glDeleteBuffers(1, &m->vbo);
    if (m->vao) glDeleteVertexArrays(1, &m->vao);
    free(m->first);
    free(m->count);
    free(m);
}

void draw_mesh_draw(draw_t *d, draw_mesh *m)
{
    draw_flush(d);
    use_program(d, m->cls);
    glBindVertexArray(m->vao);
    for (int i = 0; i < m->n; i++)
        glDrawArrays(m->prim, m->first[i], m->count[i]);
    glBindVertexArray(0);
    d->calls += (uint64_t)m->n;
}

void draw_stencil_begin(draw_t *d)
{
    draw_flush(d);
    glEnable(GL_STENCIL_TEST);
    glColorMask(GL_FALSE, GL_FALSE, GL_FALSE, GL_FALSE);
    glStencilMask(0xff);
    glStencilFunc(GL_ALWAYS, 0, 0xff);
    glStencilOp(GL_KEEP, GL_KEEP, GL_INVERT);
}

void draw_stencil_cover(draw_t *d)
{
    draw_flush(d);
    glColorMask(GL_TRUE, GL_TRUE, GL_TRUE, GL_TRUE);
    glStencilFunc(GL_NOTEQUAL, 0, 0xff);
    glStencilOp(GL_ZERO, GL_ZERO, GL_ZERO);
}

void draw_stencil_end(draw_t *d)
{
    draw_flush(d);
    glDisable(GL_STENCIL_TEST);
    glColorMask(GL_TRUE, GL_TRUE, GL_TRUE, GL_TRUE);
}
