/* gl: OpenGL helpers for the wall -- shader programs from shaders/, offscreen framebuffers.
 *
 * The wall runs on an OpenGL 3.3 core context (desktop GL, including Mesa llvmpipe) or an
 * OpenGL ES 3.0 context. Shader files in shaders/ carry no #version line: gl_program_load()
 * prepends the one that fits the current context ("#version 330 core" or "#version 300 es"
 * with default precision), so one set of files serves both.
 *
 * Thread: render thread only (every function here touches GL).
 */
#ifndef CW_GL_H
#define CW_GL_H

#include <stdbool.h>
#include <stddef.h>

#include <epoxy/gl.h>

/* The directory shaders are loaded from: $CW_SHADER_DIR, else <exe>/../shaders or
 * <exe>/../../shaders when it holds ui.vert, else the source tree's shaders/. Returns a static
 * string. */
const char *gl_shader_dir(void);

/* Compile shaders/<vert> and shaders/<frag> and link them. Returns the program, or 0 with a
 * message in err (naming the file and carrying the compiler's or linker's log). Attribute
 * locations are those of the layout qualifiers in the files. */
GLuint gl_program_load(const char *vert, const char *frag, char *err, size_t errn);

/* true on an OpenGL ES context (checked once the context is current). */
bool gl_is_es(void);

/* A framebuffer with an RGBA8 colour texture and a depth24/stencil8 renderbuffer. */
typedef struct gl_fbo {
    GLuint fbo, color, depth_stencil;
    int w, h;
} gl_fbo;

/* Create (or resize) an FBO of w x h. Returns 0, or -1 when incomplete (fbo is left zeroed). */
int gl_fbo_resize(gl_fbo *f, int w, int h);
void gl_fbo_destroy(gl_fbo *f);

/* Log GL errors pending since the last call, prefixed by where; returns their count. */
int gl_check(const char *where);

#endif
