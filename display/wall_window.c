/* wall_window: the window and the GL context. See wall_window.h. */
#include "wall_window.h"

#include <stdio.h>
#include <string.h>

static void gl_attributes(bool es)
{
    SDL_GL_SetAttribute(SDL_GL_STENCIL_SIZE, 8);
    SDL_GL_SetAttribute(SDL_GL_DOUBLEBUFFER, 1);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_PROFILE_MASK,
                        es ? SDL_GL_CONTEXT_PROFILE_ES : SDL_GL_CONTEXT_PROFILE_CORE);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MAJOR_VERSION, 3);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MINOR_VERSION, es ? 0 : 3);
}

int wall_window_open(wall_window *ww, int display, bool windowed, bool screenshot, int out_w,
                     int out_h, char *err, size_t errlen)
{
    memset(ww, 0, sizeof(*ww));
    int nd = SDL_GetNumVideoDisplays();
    if (display >= nd) display = 0;
    SDL_Rect db = {0, 0, out_w, out_h};
    if (nd > 0) SDL_GetDisplayBounds(display, &db);
    Uint32 flags = SDL_WINDOW_OPENGL | SDL_WINDOW_ALLOW_HIGHDPI;
    int w = out_w, h = out_h, x = SDL_WINDOWPOS_CENTERED_DISPLAY(display),
        y = SDL_WINDOWPOS_CENTERED_DISPLAY(display);
    if (screenshot) {
        flags |= SDL_WINDOW_HIDDEN;
        if (w > db.w) w = db.w;
        if (h > db.h) h = db.h;
    } else if (!windowed && out_w == db.w && out_h == db.h) {
        flags |= SDL_WINDOW_FULLSCREEN_DESKTOP;
    } else if (!windowed && (out_w > db.w || out_h > db.h)) {
        flags |= SDL_WINDOW_BORDERLESS; /* one window spanning several displays */
        x = db.x;
        y = db.y;
    } else if (w > db.w || h > db.h) {
        w = w > db.w ? db.w : w;
        h = h > db.h ? db.h : h;
    }
    /* OpenGL 3.3 core, else OpenGL ES 3.0 (embedded boards, EGL-only drivers) */
    for (int es = 0; es < 2 && !ww->ctx; es++) {
        gl_attributes(es);
        ww->win = SDL_CreateWindow("citywall-wall", x, y, w, h, flags);
        ww->ctx = ww->win ? SDL_GL_CreateContext(ww->win) : NULL;
        if (!ww->ctx && ww->win) {
            SDL_DestroyWindow(ww->win);
            ww->win = NULL;
        }
    }
    if (!ww->ctx) {
        snprintf(err, errlen, "no OpenGL 3.3 core or OpenGL ES 3.0 context: %s", SDL_GetError());
        return -1;
    }
    SDL_GL_MakeCurrent(ww->win, ww->ctx);
    ww->vsync = !screenshot && SDL_GL_SetSwapInterval(1) == 0;
    if (screenshot) SDL_GL_SetSwapInterval(0);
    SDL_GL_GetDrawableSize(ww->win, &ww->w, &ww->h);
    SDL_ShowCursor(SDL_DISABLE);
    return 0;
}

void wall_window_close(wall_window *ww)
{
    if (ww->ctx) SDL_GL_DeleteContext(ww->ctx);
    if (ww->win) SDL_DestroyWindow(ww->win);
    memset(ww, 0, sizeof(*ww));
}
