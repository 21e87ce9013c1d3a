/* screenshot: glReadPixels -> PNG (libpng). */
#include "screenshot.h"

#include <errno.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <epoxy/gl.h>

int screenshot_write_png(const char *path, int w, int h, const uint8_t *rgb)
{
    FILE *f = fopen(path, "wb");
    png_structp png = NULL;
    png_infop info = NULL;
    if (!f) {
        fprintf(stderr, "citywall-wall: %s: cannot write: %s\n", path, strerror(errno));
        return -1;
    }
    png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    if (png) info = png_create_info_struct(png);
    if (!png || !info) goto fail;
    if (setjmp(png_jmpbuf(png))) goto fail;
    png_init_io(png, f);
    png_set_compression_level(png, 3);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < h; y++)
        png_write_row(png, (png_const_bytep)(rgb + (size_t)y * (size_t)w * 3));
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    if (fclose(f) != 0) {
        fprintf(stderr, "citywall-wall: %s: write failed: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
fail:
    fprintf(stderr, "citywall-wall: %s: PNG encoding failed\n", path);
    png_destroy_write_struct(&png, &info);
    fclose(f);
    return -1;
}

int screenshot_save(const char *path, int w, int h)
{
    size_t row = (size_t)w * 3;
    uint8_t *px = malloc(row * (size_t)h), *flip = malloc(row * (size_t)h);
    int rc = -1;
    if (!px || !flip) {
        fprintf(stderr, "citywall-wall: %s: out of memory for a %dx%d screenshot\n", path, w, h);
        goto out;
    }
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadPixels(0, 0, w, h, GL_RGB, GL_UNSIGNED_BYTE, px);
    for (int y = 0; y < h; y++)
        memcpy(flip + (size_t)y * row, px + (size_t)(h - 1 - y) * row, row);
    rc = screenshot_write_png(path, w, h, flip);
out:
    free(px);
    free(flip);
    return rc;
}
