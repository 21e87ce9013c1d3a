/* present: damage history and back-buffer age; see present.h. */
#include "present.h"

#include <math.h>
#include <string.h>

#include <epoxy/egl.h>
#include <epoxy/gl.h>
#include <epoxy/glx.h>

void present_init(present_t *p, float w, float h)
{
    memset(p, 0, sizeof *p);
    p->w = w;
    p->h = h;
    for (int i = 0; i < PRESENT_HISTORY; i++)
        p->hist[i].full = true; /* nothing is known about frames before the first */
}

void present_begin(present_t *p)
{
    memmove(&p->hist[1], &p->hist[0], sizeof(present_frame) * (PRESENT_HISTORY - 1));
    p->hist[0].n = 0;
    p->hist[0].full = false;
}

static void add(present_t *p, float x, float y, float w, float h, bool opaque)
{
    present_frame *f = &p->hist[0];
    float x0 = fmaxf(0, floorf(x)), y0 = fmaxf(0, floorf(y));
    float x1 = fminf(p->w, ceilf(x + w)), y1 = fminf(p->h, ceilf(y + h));
    if (x1 <= x0 || y1 <= y0 || f->full) return;
    if (f->n == PRESENT_MAX_RECTS) {
        f->full = true;
        return;
    }
    f->r[f->n++] = (present_rect){x0, y0, x1 - x0, y1 - y0, opaque};
}

void present_damage(present_t *p, float x, float y, float w, float h)
{
    add(p, x, y, w, h, false);
}

void present_damage_opaque(present_t *p, float x, float y, float w, float h)
{
    add(p, x, y, w, h, true);
}

static bool touch(const present_rect *a, const present_rect *b)
{
    return a->x <= b->x + b->w && b->x <= a->x + a->w && a->y <= b->y + b->h && b->y <= a->y + a->h;
}

int present_plan(const present_t *p, int age, bool restore, present_rect *out, int max)
{
    if (age <= 0 || age >= PRESENT_HISTORY) return -1;
    int n = 0;
    for (int j = 0; j <= age; j++) {
        const present_frame *f = &p->hist[j];
        if (f->full) return -1;
        for (int i = 0; i < f->n; i++) {
            if (restore && f->r[i].opaque) continue;
            if (n == max) return -1;
            out[n] = f->r[i];
            out[n++].opaque = false;
        }
    }
    /* merge rectangles that touch into their bounding box until none do */
    bool merged = true;
    while (merged) {
        merged = false;
        for (int i = 0; i < n && !merged; i++)
            for (int k = i + 1; k < n; k++)
                if (touch(&out[i], &out[k])) {
                    float x0 = fminf(out[i].x, out[k].x), y0 = fminf(out[i].y, out[k].y);
                    float x1 = fmaxf(out[i].x + out[i].w, out[k].x + out[k].w);
                    float y1 = fmaxf(out[i].y + out[i].h, out[k].y + out[k].h);
                    out[i] = (present_rect){x0, y0, x1 - x0, y1 - y0, false};
                    out[k] = out[--n];
                    merged = true;
                    break;
                }
    }
    double area = 0;
    for (int i = 0; i < n; i++)
        area += (double)out[i].w * out[i].h;
    if (area > 0.6 * (double)p->w * p->h) return -1; /* one copy is cheaper */
    return n;
}

int present_buffer_age(bool glx)
{
    if (glx) {
        Display *dpy = glXGetCurrentDisplay();
        if (!dpy) return 0;
        GLXDrawable dr = glXGetCurrentDrawable();
        if (!dr || !epoxy_has_glx_extension(dpy, DefaultScreen(dpy), "GLX_EXT_buffer_age"))
            return 0;
        unsigned int age = 0;
        glXQueryDrawable(dpy, dr, GLX_BACK_BUFFER_AGE_EXT, &age);
        return (int)age;
    }
    EGLDisplay ed = eglGetCurrentDisplay();
    if (ed == EGL_NO_DISPLAY || !epoxy_has_egl_extension(ed, "EGL_EXT_buffer_age")) return 0;
    EGLint age = 0;
    if (!eglQuerySurface(ed, eglGetCurrentSurface(EGL_DRAW), EGL_BUFFER_AGE_EXT, &age)) return 0;
    return age;
}

bool present_can_copy(void)
{
    Display *dpy = glXGetCurrentDisplay();
    const char *r = (const char *)glGetString(GL_RENDERER);
    if (!dpy || !glXGetCurrentDrawable() || !r) return false;
    if (!strstr(r, "llvmpipe") && !strstr(r, "softpipe")) return false;
    return epoxy_has_glx_extension(dpy, DefaultScreen(dpy), "GLX_MESA_copy_sub_buffer");
}

void present_copy(const present_rect *r, int n, int w, int h)
{
    Display *dpy = glXGetCurrentDisplay();
    GLXDrawable dr = glXGetCurrentDrawable();
    if (!dpy || !dr) return;
    if (n < 0) {
        glXCopySubBufferMESA(dpy, dr, 0, 0, w, h);
        return;
    }
    for (int i = 0; i < n; i++) {
        int x0 = (int)r[i].x, y0 = h - (int)(r[i].y + r[i].h);
        glXCopySubBufferMESA(dpy, dr, x0, y0, (int)r[i].w, (int)r[i].h);
    }
}
