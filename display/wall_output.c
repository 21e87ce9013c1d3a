/* wall_output: composition and presentation of a frame. See wall_output.h. */
#include "wall_output.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void on_damage(void *ud, float x, float y, float w, float h, bool opaque)
{
    wall_damage *dc = ud;
    if (opaque)
        present_damage_opaque(dc->pr, x - dc->x0, y - dc->y0, w, h);
    else
        present_damage(dc->pr, x - dc->x0, y - dc->y0, w, h);
}

int wall_output_init(wall_output *o, layout_rect vp, const layout_region *regions, int nreg,
                     int out_w, int out_h, const wall_window *ww, bool screenshot)
{
    memset(o, 0, sizeof(*o));
    o->vp = vp;
    o->nreg = nreg < LAYOUT_MAX_REGIONS ? nreg : LAYOUT_MAX_REGIONS;
    memcpy(o->regions, regions, sizeof(*regions) * (size_t)o->nreg);
    o->out_w = out_w;
    o->out_h = out_h;
    o->screenshot = screenshot;
    o->full_next = true;
    if (gl_fbo_resize(&o->layer, (int)vp.w, (int)vp.h) < 0 ||
        gl_fbo_resize(&o->base, (int)vp.w, (int)vp.h) < 0)
        return -1;
    o->direct = !screenshot && nreg == 1 && (int)vp.w == out_w && (int)vp.h == out_h &&
                ww->w == out_w && ww->h == out_h;
    if (!o->direct) {
        if (gl_fbo_resize(&o->canvas, (int)vp.w, (int)vp.h) < 0) return -1;
        bool same = nreg == 1 && (int)vp.w == out_w && (int)vp.h == out_h;
        if (!same && gl_fbo_resize(&o->output, out_w, out_h) < 0) return -1;
    }
    present_init(&o->pr, (float)out_w, (float)out_h);
    o->damage = (wall_damage){&o->pr, vp.x, vp.y};
    const char *vdrv = SDL_GetCurrentVideoDriver();
    o->glx = vdrv && !strcmp(vdrv, "x11");
    o->subcopy = o->direct && o->glx && present_can_copy() && !getenv("CW_NO_SUBCOPY");
    if (o->subcopy)
        fprintf(stderr, "citywall-wall: software GL: presenting changed rectangles "
                        "(GLX_MESA_copy_sub_buffer)\n");
    return 0;
}

void wall_output_invalidate(wall_output *o)
{
    o->full_next = true;
}

void wall_output_new_scene(wall_output *o)
{
    o->layer_ok = false;
    o->full_next = true;
}

/* The static layer: drawn once into `layer`, copied to `base` where the cached panels go. */
static void draw_static_layer(wall_output *o, scene *sc, draw_t *d, scene_frame *fr)
{
    layout_rect vp = o->vp;
    glBindFramebuffer(GL_FRAMEBUFFER, o->layer.fbo);
    glClearColor(((COL_BG >> 24) & 0xff) / 255.0f, ((COL_BG >> 16) & 0xff) / 255.0f,
                 ((COL_BG >> 8) & 0xff) / 255.0f, 1.0f);
    glClearStencil(0);
    glClear(GL_COLOR_BUFFER_BIT | GL_STENCIL_BUFFER_BIT);
    draw_begin(d, vp.x, vp.y, (int)vp.w, (int)vp.h);
    scene_draw_static(sc, fr);
    draw_flush(d);
    glBindFramebuffer(GL_READ_FRAMEBUFFER, o->layer.fbo);
    glBindFramebuffer(GL_DRAW_FRAMEBUFFER, o->base.fbo);
    glBlitFramebuffer(0, 0, (int)vp.w, (int)vp.h, 0, 0, (int)vp.w, (int)vp.h, GL_COLOR_BUFFER_BIT,
                      GL_NEAREST);
    o->layer_ok = true;
}

/* The canvas's regions into the output framebuffer, and that into the window (fitted). */
static GLuint copy_out(wall_output *o, const wall_window *ww)
{
    layout_rect vp = o->vp;
    GLuint outfb = o->output.fbo ? o->output.fbo : o->canvas.fbo;
    if (o->output.fbo) {
        glBindFramebuffer(GL_READ_FRAMEBUFFER, o->canvas.fbo);
        glBindFramebuffer(GL_DRAW_FRAMEBUFFER, o->output.fbo);
        for (int i = 0; i < o->nreg; i++) {
            const layout_region *r = &o->regions[i];
            int sx0 = (int)(r->canvas.x - vp.x),
                sy0 = (int)(vp.h - (r->canvas.y - vp.y) - r->canvas.h);
            int dx0 = (int)r->out.x, dy0 = (int)(o->out_h - r->out.y - r->out.h);
            glBlitFramebuffer(sx0, sy0, sx0 + (int)r->canvas.w, sy0 + (int)r->canvas.h, dx0, dy0,
                              dx0 + (int)r->out.w, dy0 + (int)r->out.h, GL_COLOR_BUFFER_BIT,
                              GL_NEAREST);
        }
    }
    if (!o->screenshot) {
        glBindFramebuffer(GL_READ_FRAMEBUFFER, outfb);
        glBindFramebuffer(GL_DRAW_FRAMEBUFFER, 0);
        glViewport(0, 0, ww->w, ww->h);
        glClearColor(0, 0, 0, 1);
        glClear(GL_COLOR_BUFFER_BIT);
        /* fit the output into the window, keeping its aspect */
        double k = fmin((double)ww->w / o->out_w, (double)ww->h / o->out_h);
        int dw = (int)(o->out_w * k), dh = (int)(o->out_h * k);
        int dx = (ww->w - dw) / 2, dy = (ww->h - dh) / 2;
        glBlitFramebuffer(0, 0, o->out_w, o->out_h, dx, dy, dx + dw, dy + dh, GL_COLOR_BUFFER_BIT,
                          k == 1.0 ? GL_NEAREST : GL_LINEAR);
    }
    return outfb;
}

GLuint wall_output_frame(wall_output *o, scene *sc, draw_t *d, scene_frame *fr,
                         const wall_window *ww, uint64_t *partial_frames)
{
    layout_rect vp = o->vp;
    present_begin(&o->pr);
    fr->damage = on_damage;
    fr->damage_ud = &o->damage;
    glDisable(GL_SCISSOR_TEST);
    if (!o->layer_ok) draw_static_layer(o, sc, d, fr);
    scene_draw_cached(sc, fr, o->base.fbo, o->layer.fbo, vp);
    GLuint target = o->direct ? 0 : o->canvas.fbo;
    glBindFramebuffer(GL_READ_FRAMEBUFFER, o->base.fbo);
    glBindFramebuffer(GL_DRAW_FRAMEBUFFER, target);
    present_rect rects[PRESENT_MAX_RECTS];
    int age = o->subcopy ? 1 : o->direct ? present_buffer_age(o->glx) : 0;
    int nrect = o->full_next ? -1 : present_plan(&o->pr, age, true, rects, PRESENT_MAX_RECTS);
    if (nrect < 0) {
        glBlitFramebuffer(0, 0, (int)vp.w, (int)vp.h, 0, 0, (int)vp.w, (int)vp.h,
                          GL_COLOR_BUFFER_BIT, GL_NEAREST);
    } else {
        (*partial_frames)++;
        for (int i = 0; i < nrect; i++) {
            int x0 = (int)rects[i].x, x1 = (int)(rects[i].x + rects[i].w);
            int y1 = (int)vp.h - (int)rects[i].y, y0 = y1 - (int)rects[i].h;
            glBlitFramebuffer(x0, y0, x1, y1, x0, y0, x1, y1, GL_COLOR_BUFFER_BIT, GL_NEAREST);
        }
    }
    glBindFramebuffer(GL_FRAMEBUFFER, target);
    fr->full = nrect < 0 || age != 1; /* older buffers: tiles may be out of date */
    draw_begin(d, vp.x, vp.y, (int)vp.w, (int)vp.h);
    scene_draw_anim(sc, fr);
    draw_flush(d);
    GLuint outfb = o->direct ? 0 : copy_out(o, ww);
    if (o->subcopy) {
        /* what changed in the back buffer: the copies above and this frame's overlays */
        int n = o->full_next ? -1 : present_plan(&o->pr, 1, false, rects, PRESENT_MAX_RECTS);
        present_copy(rects, n, o->out_w, o->out_h);
        glFinish();
    } else if (!o->screenshot) {
        SDL_GL_SwapWindow(ww->win);
    } else {
        glFinish();
    }
    o->full_next = false;
    return outfb;
}

void wall_output_destroy(wall_output *o)
{
    gl_fbo_destroy(&o->canvas);
    gl_fbo_destroy(&o->output);
    gl_fbo_destroy(&o->layer);
    gl_fbo_destroy(&o->base);
}
