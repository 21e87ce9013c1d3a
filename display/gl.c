/* gl: shader programs loaded from shaders/ with errors that name the file, and FBOs. */
#include "gl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef CW_SOURCE_DIR
#define CW_SOURCE_DIR "."
#endif

static bool file_exists(const char *dir, const char *name)
{
    char p[8300];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return access(p, R_OK) == 0;
}

const char *gl_shader_dir(void)
{
    static char dir[4096];
    if (dir[0]) return dir;
    const char *env = getenv("CW_SHADER_DIR");
    if (env && *env) {
        snprintf(dir, sizeof dir, "%s", env);
        return dir;
    }
    char exe[3000];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) *slash = 0;
        static const char *rel[] = {"/../shaders", "/../../shaders", "/../share/citywall/shaders"};
        for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
            char cand[3100];
            snprintf(cand, sizeof cand, "%s%s", exe, rel[i]);
            if (file_exists(cand, "ui.vert")) {
                snprintf(dir, sizeof dir, "%s", cand);
                return dir;
            }
        }
    }
    snprintf(dir, sizeof dir, "%s/shaders", CW_SOURCE_DIR);
    return dir;
}

bool gl_is_es(void)
{
    static int es = -1;
    if (es < 0) es = epoxy_is_desktop_gl() ? 0 : 1;
    return es == 1;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    if (!f) return NULL;
    if (fseek(f, 0, SEEK_END) != 0) goto fail;
    long n = ftell(f);
    if (n < 0 || fseek(f, 0, SEEK_SET) != 0) goto fail;
    buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) goto fail;
    buf[n] = 0;
    *len = (size_t)n;
    fclose(f);
    return buf;
fail:
    free(buf);
    fclose(f);
    return NULL;
}

static GLuint compile(GLenum type, const char *name, char *err, size_t errn)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/%.200s", gl_shader_dir(), name);
    size_t len = 0;
    char *src = read_file(path, &len);
    if (!src) {
        snprintf(err, errn, "%s: cannot read shader file", path);
        return 0;
    }
    const char *head = gl_is_es() ? "#version 300 es\nprecision highp float;\n#line 1\n"
                                  : "#version 330 core\n#line 1\n";
    const char *parts[2] = {head, src};
    GLuint sh = glCreateShader(type);
    glShaderSource(sh, 2, parts, NULL);
    glCompileShader(sh);
    free(src);
    GLint ok = 0;
    glGetShaderiv(sh, GL_COMPILE_STATUS, &ok);
    if (!ok) {
        char log[2048] = "";
        glGetShaderInfoLog(sh, sizeof log, NULL, log);
        snprintf(err, errn, "%s: compile error:\n%s", path, log);
        glDeleteShader(sh);
        return 0;
    }
    return sh;
}

GLuint gl_program_load(const char *vert, const char *frag, char *err, size_t errn)
{
    GLuint vs = compile(GL_VERTEX_SHADER, vert, err, errn);
    if (!vs) return 0;
    GLuint fs = compile(GL_FRAGMENT_SHADER, frag, err, errn);
    if (!fs) {
        glDeleteShader(vs);
        return 0;
    }
    GLuint p = glCreateProgram();
    glAttachShader(p, vs);
    glAttachShader(p, fs);
    glLinkProgram(p);
    glDeleteShader(vs);
    glDeleteShader(fs);
    GLint ok = 0;
    glGetProgramiv(p, GL_LINK_STATUS, &ok);
    if (!ok) {
        char log[2048] = "";
        glGetProgramInfoLog(p, sizeof log, NULL, log);
        snprintf(err, errn, "%s/%s + %s: link error:\n%s", gl_shader_dir(), vert, frag, log);
        glDeleteProgram(p);
        return 0;
    }
    return p;
}

int gl_fbo_resize(gl_fbo *f, int w, int h)
{
    if (f->fbo && f->w == w && f->h == h) return 0;
    gl_fbo_destroy(f);
    glGenFramebuffers(1, &f->fbo);
    glGenTextures(1, &f->color);
    glGenRenderbuffers(1, &f->depth_stencil);
    glBindTexture(GL_TEXTURE_2D, f->color);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, w, h, 0, GL_RGBA, GL_UNSIGNED_BYTE, NULL);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
    glBindRenderbuffer(GL_RENDERBUFFER, f->depth_stencil);
    glRenderbufferStorage(GL_RENDERBUFFER, GL_DEPTH24_STENCIL8, w, h);
    glBindFramebuffer(GL_FRAMEBUFFER, f->fbo);
    glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, f->color, 0);
    glFramebufferRenderbuffer(GL_FRAMEBUFFER, GL_DEPTH_STENCIL_ATTACHMENT, GL_RENDERBUFFER,
                              f->depth_stencil);
    GLenum st = glCheckFramebufferStatus(GL_FRAMEBUFFER);
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    if (st != GL_FRAMEBUFFER_COMPLETE) {
        fprintf(stderr, "citywall-wall: framebuffer %dx%d incomplete (0x%x)\n", w, h, st);
        gl_fbo_destroy(f);
        return -1;
    }
    f->w = w;
    f->h = h;
    return 0;
}

void gl_fbo_destroy(gl_fbo *f)
{
    if (f->fbo) glDeleteFramebuffers(1, &f->fbo);
    if (f->color) glDeleteTextures(1, &f->color);
    if (f->depth_stencil) glDeleteRenderbuffers(1, &f->depth_stencil);
    memset(f, 0, sizeof *f);
}

int gl_check(const char *where)
{
    int n = 0;
    GLenum e;
    while ((e = glGetError()) != GL_NO_ERROR && n < 16) {
        fprintf(stderr, "citywall-wall: GL error 0x%x at %s\n", e, where);
        n++;
    }
    return n;
}
