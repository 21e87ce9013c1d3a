/* thumb: a small picture of the frame just presented, for the fleet report (the dashboard's
 * live thumbnail of each wall host, docs/dashboard.md 大屏控制): read back, box-filtered down to
 * `tw` pixels wide, PNG-encoded (libpng) into a "data:image/png;base64,..." URL.
 * Thread: render thread (GL). */
#ifndef CW_THUMB_H
#define CW_THUMB_H

#include <epoxy/gl.h>

/* The w x h picture in framebuffer fb (read buffer rb: GL_BACK for the window's, else
 * GL_COLOR_ATTACHMENT0) as a data URL (malloc'd), or NULL. */
char *thumb_data_url(GLuint fb, GLenum rb, int w, int h, int tw);

#endif
