/* text: FreeType rasterisation + HarfBuzz shaping + glyph atlas; see text.h.
 *
 * Fonts are mapped once per style and shared by FreeType (one FT_Face per style, its pixel
 * size set before each rasterisation) and HarfBuzz (one hb_face per style, one hb_font per
 * pixel size, created on first use). Light hinting keeps FreeType's advances equal to
 * HarfBuzz's unhinted ones, so shaped positions and bitmaps agree.
 */
#include "text.h"
#include "xalloc.h"

#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ft2build.h>
#include FT_FREETYPE_H
#include <hb-ot.h>
#include <hb.h>

#define PAGE 2048
#define TEXT_MAX_PAGES 4
#define MAX_SIZE 1024
#define GLYPH_SLOTS 32768 /* open addressing, power of two */
#define RUN_BUCKETS 4096
#define RUN_MAX 3000
#define RUN_IDLE_FRAMES 600

typedef struct glyph {
    uint32_t key; /* 0 = empty slot */
    int16_t page, w, h, left, top;
    uint16_t x, y;
} glyph;

typedef struct run_glyph {
    uint32_t gid;
    int32_t x, y; /* 26.6 pen position + offset */
} run_glyph;

typedef struct run {
    struct run *next;
    uint32_t hash;
    int style, size, flags;
    char *s;
    run_glyph *g;
    int n;
    float advance; /* px */
    uint64_t used;
} run;

typedef struct font_style {
    void *map;
    size_t maplen;
    FT_Face ft;
    hb_blob_t *blob;
    hb_face_t *hb_face;
    hb_font_t *hb[MAX_SIZE + 1];
    int ft_size; /* the pixel size FT is set to */
} font_style;

typedef struct dump_ent {
    int group;
    json_t *o;
} dump_ent;

struct text {
    draw_t *d;
    FT_Library lib;
    font_style st[TEXT_NSTYLES];
    GLuint page[TEXT_MAX_PAGES];
    int npages;
    int shelf_y, shelf_h, shelf_x; /* packer state on the newest page */
    glyph *glyphs;
    int nglyphs;
    run *runs[RUN_BUCKETS];
    int nruns;
    uint64_t frame;
    int resets;
    const char *panel;
    bool dump;
    dump_ent *ents; /* what is on screen, by group (static layer, panel caches, overlays) */
    int nents, capents;
    int group;
    hb_buffer_t *buf;
    uint8_t *scratch;
    size_t scratch_n;
};

static int map_file(const char *path, void **map, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    struct stat sb;
    if (fstat(fd, &sb) < 0 || sb.st_size <= 0) {
        close(fd);
        return -1;
    }
    void *m = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED) return -1;
    *map = m;
    *len = (size_t)sb.st_size;
    return 0;
}

static int style_open(text_t *t, font_style *fs, const char *path, int index, char *err,
                      size_t errn)
{
    if (map_file(path, &fs->map, &fs->maplen) < 0) {
        snprintf(err, errn, "%s: cannot open font file (install fonts-noto-cjk)", path);
        return -1;
    }
    if (FT_New_Memory_Face(t->lib, fs->map, (FT_Long)fs->maplen, index, &fs->ft) != 0) {
        snprintf(err, errn, "%s: FreeType cannot load face %d", path, index);
        return -1;
    }
    fs->blob = hb_blob_create(fs->map, (unsigned)fs->maplen, HB_MEMORY_MODE_READONLY, NULL, NULL);
    fs->hb_face = hb_face_create(fs->blob, (unsigned)index);
    return 0;
}

static void style_close(font_style *fs)
{
    for (int i = 0; i <= MAX_SIZE; i++)
        if (fs->hb[i]) hb_font_destroy(fs->hb[i]);
    if (fs->hb_face) hb_face_destroy(fs->hb_face);
    if (fs->blob) hb_blob_destroy(fs->blob);
    if (fs->ft) FT_Done_Face(fs->ft);
    if (fs->map) munmap(fs->map, fs->maplen);
    memset(fs, 0, sizeof *fs);
}

static int add_page(text_t *t)
{
    if (t->npages >= TEXT_MAX_PAGES) return -1;
    GLuint tex;
    glGenTextures(1, &tex);
    glBindTexture(GL_TEXTURE_2D, tex);
    uint8_t *zero = cw_xcalloc(1, (size_t)PAGE * PAGE);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_R8, PAGE, PAGE, 0, GL_RED, GL_UNSIGNED_BYTE, zero);
    free(zero);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    /* sampled as (1, 1, 1, coverage): shaders/ui_tex.frag multiplies by the text colour */
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_SWIZZLE_R, GL_ONE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_SWIZZLE_G, GL_ONE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_SWIZZLE_B, GL_ONE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_SWIZZLE_A, GL_RED);
    t->page[t->npages++] = tex;
    t->shelf_x = t->shelf_y = t->shelf_h = 0;
    return 0;
}

text_t *text_create(draw_t *d, const char *regular, const char *bold, int face_index, char *err,
                    size_t errn)
{
    text_t *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, errn, "text: out of memory");
        return NULL;
    }
    t->d = d;
    t->glyphs = calloc(GLYPH_SLOTS, sizeof(glyph));
    t->buf = hb_buffer_create();
    if (!t->glyphs) {
        snprintf(err, errn, "text: out of memory");
        goto fail;
    }
    if (FT_Init_FreeType(&t->lib) != 0) {
        snprintf(err, errn, "text: FreeType init failed");
        goto fail;
    }
    if (style_open(t, &t->st[TEXT_REGULAR], regular, face_index, err, errn) < 0) goto fail;
    if (!bold || style_open(t, &t->st[TEXT_BOLD], bold, face_index, err, errn) < 0) {
        style_close(&t->st[TEXT_BOLD]);
        if (style_open(t, &t->st[TEXT_BOLD], regular, face_index, err, errn) < 0) goto fail;
    }
    if (add_page(t) < 0) goto fail;
    return t;
fail:
    text_destroy(t);
    return NULL;
}

static void runs_clear(text_t *t)
{
    for (int b = 0; b < RUN_BUCKETS; b++) {
        run *r = t->runs[b];
        while (r) {
            run *n = r->next;
            free(r->s);
            free(r->g);
            free(r);
            r = n;
        }
        t->runs[b] = NULL;
    }
    t->nruns = 0;
}

static void dump_push(text_t *t, json_t *o)
{
    if (!o) return;
    if (t->nents == t->capents) {
        int nc = t->capents ? t->capents * 2 : 512;
        dump_ent *n = realloc(t->ents, sizeof(*n) * (size_t)nc);
        if (!n) {
            json_decref(o);
            return;
        }
        t->ents = n;
        t->capents = nc;
    }
    t->ents[t->nents].group = t->group;
    t->ents[t->nents].o = o;
    t->nents++;
}

void text_dump_clear(text_t *t, int group)
{
    int k = 0;
    for (int i = 0; i < t->nents; i++) {
        if (t->ents[i].group == group)
            json_decref(t->ents[i].o);
        else
            t->ents[k++] = t->ents[i];
    }
    t->nents = k;
}

void text_dump_group(text_t *t, int group)
{
    t->group = group;
}

void text_destroy(text_t *t)
{
    if (!t) return;
    runs_clear(t);
    for (int i = 0; i < t->nents; i++)
        json_decref(t->ents[i].o);
    free(t->ents);
    for (int s = 0; s < TEXT_NSTYLES; s++)
        style_close(&t->st[s]);
    if (t->lib) FT_Done_FreeType(t->lib);
    for (int i = 0; i < t->npages; i++)
        glDeleteTextures(1, &t->page[i]);
    if (t->buf) hb_buffer_destroy(t->buf);
    free(t->glyphs);
    free(t->scratch);
    free(t);
}

static int clamp_size(float size)
{
    int s = (int)lrintf(size);
    if (s < 4) s = 4;
    if (s > MAX_SIZE) s = MAX_SIZE;
    return s;
}

static hb_font_t *hb_sized(text_t *t, int style, int size)
{
    font_style *fs = &t->st[style];
    if (!fs->hb[size]) {
        hb_font_t *f = hb_font_create(fs->hb_face);
        hb_font_set_scale(f, size * 64, size * 64);
        hb_font_set_ppem(f, (unsigned)size, (unsigned)size);
        fs->hb[size] = f;
    }
    return fs->hb[size];
}

static uint32_t fnv(const char *s, int style, int size, int flags)
{
    uint32_t h = 2166136261u ^ (uint32_t)(style * 131 + size * 7919 + flags * 104729);
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

static run *shape(text_t *t, int style, int size, int flags, const char *s)
{
    flags &= TEXT_TNUM;
    uint32_t h = fnv(s, style, size, flags);
    run **head = &t->runs[h & (RUN_BUCKETS - 1)];
    for (run *r = *head; r; r = r->next)
        if (r->hash == h && r->style == style && r->size == size && r->flags == flags &&
            strcmp(r->s, s) == 0) {
            r->used = t->frame;
            return r;
        }
    if (t->nruns >= RUN_MAX) {
        /* drop runs idle for a while; everything when that frees nothing */
        int before = t->nruns;
        for (int b = 0; b < RUN_BUCKETS; b++) {
            run **pp = &t->runs[b];
            while (*pp) {
                run *r = *pp;
                if (t->frame - r->used > 2) {
                    *pp = r->next;
                    free(r->s);
                    free(r->g);
                    free(r);
                    t->nruns--;
                } else {
                    pp = &r->next;
                }
            }
        }
        if (t->nruns == before) runs_clear(t);
    }
    hb_buffer_clear_contents(t->buf);
    hb_buffer_add_utf8(t->buf, s, -1, 0, -1);
    hb_buffer_guess_segment_properties(t->buf);
    hb_feature_t feat[1];
    unsigned nfeat = 0;
    if (flags & TEXT_TNUM) {
        feat[0].tag = HB_TAG('t', 'n', 'u', 'm');
        feat[0].value = 1;
        feat[0].start = HB_FEATURE_GLOBAL_START;
        feat[0].end = HB_FEATURE_GLOBAL_END;
        nfeat = 1;
    }
    hb_shape(hb_sized(t, style, size), t->buf, feat, nfeat);
    unsigned n = 0;
    hb_glyph_info_t *info = hb_buffer_get_glyph_infos(t->buf, &n);
    hb_glyph_position_t *pos = hb_buffer_get_glyph_positions(t->buf, &n);
    run *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->s = strdup(s);
    r->g = malloc(sizeof(run_glyph) * (n ? n : 1));
    if (!r->s || !r->g) {
        free(r->s);
        free(r->g);
        free(r);
        return NULL;
    }
    int32_t pen = 0;
    for (unsigned i = 0; i < n; i++) {
        r->g[i].gid = info[i].codepoint;
        r->g[i].x = pen + pos[i].x_offset;
        r->g[i].y = pos[i].y_offset;
        pen += pos[i].x_advance;
    }
    r->n = (int)n;
    r->advance = (float)pen / 64.0f;
    r->hash = h;
    r->style = style;
    r->size = size;
    r->flags = flags;
    r->used = t->frame;
    r->next = *head;
    *head = r;
    t->nruns++;
    return r;
}

static void atlas_reset(text_t *t)
{
    draw_flush(t->d); /* glyphs already queued are drawn from the old contents */
    memset(t->glyphs, 0, sizeof(glyph) * GLYPH_SLOTS);
    t->nglyphs = 0;
    for (int i = 1; i < t->npages; i++)
        glDeleteTextures(1, &t->page[i]);
    t->npages = 1;
    t->shelf_x = t->shelf_y = t->shelf_h = 0;
    t->resets++;
}

/* A place of w x h on the newest page (a new page, or a reset, when it is full). */
static int pack(text_t *t, int w, int h, int *page, int *x, int *y)
{
    if (w + 2 > PAGE || h + 2 > PAGE) return -1;
    for (int attempt = 0; attempt < 3; attempt++) {
        if (t->shelf_x + w + 1 > PAGE) {
            t->shelf_y += t->shelf_h + 1;
            t->shelf_x = 0;
            t->shelf_h = 0;
        }
        if (t->shelf_y + h + 1 <= PAGE) {
            *page = t->npages - 1;
            *x = t->shelf_x + 1;
            *y = t->shelf_y + 1;
            t->shelf_x += w + 1;
            if (h > t->shelf_h) t->shelf_h = h;
            return 0;
        }
        if (add_page(t) < 0) atlas_reset(t);
    }
    return -1;
}

static glyph *get_glyph(text_t *t, int style, int size, uint32_t gid)
{
    uint32_t key = ((uint32_t)style << 27 | (uint32_t)size << 16 | (gid & 0xffff)) + 1;
    if (t->nglyphs > GLYPH_SLOTS * 3 / 4) atlas_reset(t);
    uint32_t i = (key * 2654435761u) & (GLYPH_SLOTS - 1);
    while (t->glyphs[i].key) {
        if (t->glyphs[i].key == key) return &t->glyphs[i];
        i = (i + 1) & (GLYPH_SLOTS - 1);
    }
    font_style *fs = &t->st[style];
    if (fs->ft_size != size) {
        FT_Set_Pixel_Sizes(fs->ft, 0, (FT_UInt)size);
        fs->ft_size = size;
    }
    glyph g;
    memset(&g, 0, sizeof g);
    g.key = key;
    g.page = -1;
    if (FT_Load_Glyph(fs->ft, gid, FT_LOAD_DEFAULT | FT_LOAD_TARGET_LIGHT) == 0 &&
        FT_Render_Glyph(fs->ft->glyph, FT_RENDER_MODE_NORMAL) == 0) {
        FT_Bitmap *bm = &fs->ft->glyph->bitmap;
        g.left = (int16_t)fs->ft->glyph->bitmap_left;
        g.top = (int16_t)fs->ft->glyph->bitmap_top;
        if (bm->width > 0 && bm->rows > 0) {
            int page, x, y;
            if (pack(t, (int)bm->width, (int)bm->rows, &page, &x, &y) == 0) {
                /* pack() may have reset the table; find the slot again below */
                size_t need = (size_t)bm->width * bm->rows;
                if (t->scratch_n < need) {
                    free(t->scratch);
                    t->scratch = malloc(need);
                    t->scratch_n = t->scratch ? need : 0;
                }
                if (t->scratch) {
                    for (unsigned r = 0; r < bm->rows; r++)
                        memcpy(t->scratch + (size_t)r * bm->width,
                               bm->buffer + (ptrdiff_t)r * bm->pitch, bm->width);
                    glBindTexture(GL_TEXTURE_2D, t->page[page]);
                    glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
                    glTexSubImage2D(GL_TEXTURE_2D, 0, x, y, (GLsizei)bm->width, (GLsizei)bm->rows,
                                    GL_RED, GL_UNSIGNED_BYTE, t->scratch);
                    g.page = (int16_t)page;
                    g.x = (uint16_t)x;
                    g.y = (uint16_t)y;
                    g.w = (int16_t)bm->width;
                    g.h = (int16_t)bm->rows;
                }
            }
        }
    }
    i = (key * 2654435761u) & (GLYPH_SLOTS - 1);
    while (t->glyphs[i].key)
        i = (i + 1) & (GLYPH_SLOTS - 1);
    t->glyphs[i] = g;
    t->nglyphs++;
    return &t->glyphs[i];
}

float text_width(text_t *t, int style, float size, int flags, const char *s)
{
    if (!s || !*s) return 0;
    run *r = shape(t, style, clamp_size(size), flags, s);
    return r ? r->advance : 0;
}

static void record(text_t *t, const char *s, float x, float y, float w, float size)
{
    dump_push(t, json_pack("{s:s,s:s,s:f,s:f,s:f,s:f,s:f}", "panel", t->panel ? t->panel : "",
                           "text", s, "x", (double)x, "y", (double)y, "w", (double)roundf(w), "h",
                           (double)size, "size", (double)size));
}

float text_draw(text_t *t, int style, float size, float x, float y, int flags, uint32_t color,
                const char *s)
{
    if (!s || !*s) return 0;
    int px = clamp_size(size);
    run *r = shape(t, style, px, flags, s);
    if (!r) return 0;
    float w = r->advance;
    if ((flags & TEXT_HALIGN) == TEXT_CENTER)
        x -= w / 2;
    else if ((flags & TEXT_HALIGN) == TEXT_RIGHT)
        x -= w;
    if (flags & TEXT_MIDDLE) y -= (float)px / 2;
    x = roundf(x);
    y = roundf(y);
    float base = y + roundf(TEXT_ASCENT * (float)px);
    for (int i = 0; i < r->n; i++) {
        glyph *g = get_glyph(t, style, px, r->g[i].gid);
        if (g->page < 0 || g->w == 0) continue;
        float gx = x + roundf((float)r->g[i].x / 64.0f) + (float)g->left;
        float gy = base - roundf((float)r->g[i].y / 64.0f) - (float)g->top;
        const float inv = 1.0f / PAGE;
        draw_textured(t->d, t->page[g->page], DRAW_GLYPH, gx, gy, (float)g->w, (float)g->h,
                      (float)g->x * inv, (float)g->y * inv, (float)(g->x + g->w) * inv,
                      (float)(g->y + g->h) * inv, color);
    }
    if (t->dump) record(t, s, x, y, w, (float)px);
    return w;
}

float text_draw_fit(text_t *t, int style, float size, float x, float y, float maxw, int flags,
                    uint32_t color, const char *s)
{
    if (!s || !*s) return 0;
    float w = text_width(t, style, size, flags, s);
    if (w <= maxw) return text_draw(t, style, size, x, y, flags, color, s);
    float small = flags & TEXT_CUT ? size : size * 0.8f;
    if (!(flags & TEXT_CUT) && w * small / size <= maxw) {
        float fs = floorf(size * maxw / w);
        if (fs < small) fs = small;
        if ((flags & TEXT_MIDDLE) == 0) y += (size - fs) / 2;
        return text_draw(t, style, fs, x, y, flags, color, s);
    }
    /* cut at a UTF-8 boundary and append an ellipsis */
    size_t n = strlen(s);
    char *buf = malloc(n + 4);
    if (!buf) return 0;
    memcpy(buf, s, n + 1);
    float ew = text_width(t, style, small, flags, "…");
    while (n > 0) {
        do
            n--;
        while (n > 0 && ((uint8_t)buf[n] & 0xc0) == 0x80);
        buf[n] = 0;
        if (text_width(t, style, small, flags, buf) + ew <= maxw) break;
    }
    memcpy(buf + n, "…", 4);
    if ((flags & TEXT_MIDDLE) == 0) y += (size - small) / 2;
    float r = text_draw(t, style, small, x, y, flags, color, buf);
    free(buf);
    return r;
}

void text_set_panel(text_t *t, const char *panel)
{
    t->panel = panel;
}

void text_frame_begin(text_t *t)
{
    t->frame++;
    if (t->nruns > RUN_MAX / 2 && t->frame % 60 == 0) {
        for (int b = 0; b < RUN_BUCKETS; b++) {
            run **pp = &t->runs[b];
            while (*pp) {
                run *r = *pp;
                if (t->frame - r->used > RUN_IDLE_FRAMES) {
                    *pp = r->next;
                    free(r->s);
                    free(r->g);
                    free(r);
                    t->nruns--;
                } else {
                    pp = &r->next;
                }
            }
        }
    }
}

void text_dump_enable(text_t *t, bool on)
{
    t->dump = on;
}

void text_dump_add(text_t *t, json_t *obj)
{
    if (t->dump)
        dump_push(t, obj);
    else
        json_decref(obj);
}

static int cmp_ent(const void *a, const void *b)
{
    const dump_ent *x = a, *y = b;
    if (x->group != y->group) return x->group < y->group ? -1 : 1;
    return x < y ? -1 : x > y;
}

int text_dump_write(text_t *t, FILE *f)
{
    qsort(t->ents, (size_t)t->nents, sizeof t->ents[0], cmp_ent);
    for (int i = 0; i < t->nents; i++) {
        char *line = json_dumps(t->ents[i].o, JSON_COMPACT);
        if (!line) return -1;
        fprintf(f, "%s\n", line);
        free(line);
    }
    return ferror(f) ? -1 : 0;
}

void text_get_stats(const text_t *t, text_stats *s)
{
    s->pages = t->npages;
    s->glyphs = t->nglyphs;
    s->runs = t->nruns;
    s->resets = t->resets;
}
