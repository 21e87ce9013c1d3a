/* wall_window: the wall's window and its GL context -- fullscreen on the display the output
 * matches, one borderless window spanning several displays, a window for development, or a
 * hidden one for screenshots; OpenGL 3.3 core, else OpenGL ES 3.0.
 *
 * Thread: render thread (SDL's video subsystem is initialised by the caller).
 */
#ifndef CW_WALL_WINDOW_H
#define CW_WALL_WINDOW_H

#include <SDL.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct wall_window {
    SDL_Window *win;
    SDL_GLContext ctx;
    int w, h;   /* drawable size */
    bool vsync; /* swaps wait for the display */
} wall_window;

/* Opens a window for an output of out_w x out_h on display (clamped to those there are):
 * hidden for a screenshot, a plain window when windowed. The context is made current.
 * Returns 0, or -1 with SDL's reason in err. */
int wall_window_open(wall_window *ww, int display, bool windowed, bool screenshot, int out_w,
                     int out_h, char *err, size_t errlen);
void wall_window_close(wall_window *ww);

#endif
