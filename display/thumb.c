/* thumb: a small PNG of the presented frame as a data URL; see thumb.h. */
#include "thumb.h"

#include <png.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct membuf {
    unsigned char *p;
    size_t n, cap;
    int failed;
} membuf;

static void mem_write(png_structp png, png_bytep data, png_size_t len)
{
    membuf *b = png_get_io_ptr(png);
    if (b->failed) return;
    if (b->n + len > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 16384;
        while (cap < b->n + len)
            cap *= 2;
        unsigned char *np = realloc(b->p, cap);
        if (!np) {
            b->failed = 1;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->n, data, len);
    b->n += len;
}

static void mem_flush(png_structp png)
{
    (void)png;
}

/* rgb (tw x th, top row first) as PNG bytes in *b; 0 or -1. */
static int encode(const uint8_t *rgb, int tw, int th, membuf *b)
{
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_write_struct(&png, &info);
        return -1;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return -1;
    }
    png_set_write_fn(png, b, mem_write, mem_flush);
    png_set_compression_level(png, 6);
    png_set_IHDR(png, info, (png_uint_32)tw, (png_uint_32)th, 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < th; y++)
        png_write_row(png, (png_const_bytep)(rgb + (size_t)y * (size_t)tw * 3));
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return b->failed ? -1 : 0;
}

static char *data_url(const unsigned char *p, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    static const char head[] = "data:image/png;base64,";
    size_t hl = sizeof head - 1, ol = 4 * ((n + 2) / 3);
    char *out = malloc(hl + ol + 1), *o = out + hl;
    if (!out) return NULL;
    memcpy(out, head, hl);
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) |
                     (i + 2 < n ? p[i + 2] : 0);
        *o++ = tab[v >> 18 & 63];
        *o++ = tab[v >> 12 & 63];
        *o++ = i + 1 < n ? tab[v >> 6 & 63] : '=';
        *o++ = i + 2 < n ? tab[v & 63] : '=';
    }
    *o = 0;
    return out;
}

char *thumb_data_url(GLuint fb, GLenum rb, int w, int h, int tw)
{
    if (w <= 0 || h <= 0 || tw <= 0) return NULL;
    if (tw > w) tw = w;
    int th = (int)((long long)h * tw / w);
    if (th < 1) th = 1;
    uint8_t *px = malloc((size_t)w * (size_t)h * 3), *small = calloc((size_t)tw * th, 3);
    char *url = NULL;
    membuf b = {0};
    if (!px || !small) goto out;
    glBindFramebuffer(GL_READ_FRAMEBUFFER, fb);
    glReadBuffer(rb);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadPixels(0, 0, w, h, GL_RGB, GL_UNSIGNED_BYTE, px);
    for (int ty = 0; ty < th; ty++) { /* box filter; GL rows are bottom first */
        int y0 = ty * h / th, y1 = (ty + 1) * h / th;
        for (int tx = 0; tx < tw; tx++) {
            int x0 = tx * w / tw, x1 = (tx + 1) * w / tw;
            unsigned long s[3] = {0, 0, 0}, cnt = 0;
            for (int y = y0; y < y1; y++)
                for (int x = x0; x < x1; x++) {
                    const uint8_t *q = px + ((size_t)(h - 1 - y) * (size_t)w + (size_t)x) * 3;
                    s[0] += q[0];
                    s[1] += q[1];
                    s[2] += q[2];
                    cnt++;
                }
            uint8_t *d = small + ((size_t)ty * tw + (size_t)tx) * 3;
            for (int c = 0; c < 3; c++)
                d[c] = (uint8_t)(cnt ? s[c] / cnt : 0);
        }
    }
    if (encode(small, tw, th, &b) == 0) url = data_url(b.p, b.n);
out:
    free(px);
    free(small);
    free(b.p);
    return url;
}
