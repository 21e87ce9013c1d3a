/* screenshot: the frame in a GL framebuffer as a PNG file (libpng), for --screenshot and tests.
 *
 * Thread: render thread (reads GL).
 */
#ifndef CW_SCREENSHOT_H
#define CW_SCREENSHOT_H

#include <stdint.h>

/* Write w x h RGB pixels (rows top to bottom, 3 bytes each) to path. 0, or -1 with a message
 * on stderr naming the file. */
int screenshot_write_png(const char *path, int w, int h, const uint8_t *rgb);

/* Read the w x h framebuffer bound for reading (GL_READ_FRAMEBUFFER) and write it to path
 * (flipped to top-down). 0 or -1. */
int screenshot_save(const char *path, int w, int h);

#endif
