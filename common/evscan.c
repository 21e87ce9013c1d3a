/* evscan: a batch of events read with yajl into flat members (see evscan.h).
 *
 * Depths: the batch's array is depth 1, an event object depth 2, a container directly in an
 * event depth 3. Values whose container is the event, or an object at depth 3, are kept as
 * members; deeper containers are kept only as their parent's member of kind object (with no
 * members) or array.
 */
#include "evscan.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "utf8.h"
#include "xalloc.h"

#define MAX_DEPTH 32

typedef struct sc_member {
    const char *key; /* in the arena, NUL-terminated */
    size_t klen;
    ev_jval val;     /* EV_J_OBJECT: val.o is set once the scan is complete */
    uint32_t objidx; /* EV_J_OBJECT: its object */
} sc_member;

typedef struct sc_obj {
    const sc_member *m; /* set once the scan is complete */
    uint32_t first, n;  /* its members in the scan's mem */
} sc_obj;

typedef struct sc_event {
    uint32_t obj;
    size_t off, len;
    bool escaped; /* a string or key with an escape sequence: read by jansson */
    json_t *tree; /* then jansson's tree of the element (owned) */
    ev_jval val;
} sc_event;

/* A growable array of members: one for the open event, one for the open object in it. */
typedef struct sc_list {
    sc_member *m;
    size_t n, cap;
} sc_list;

struct evscan {
    char *arena; /* copies of the strings and keys kept */
    size_t used;
    sc_list mem; /* every object's members, each object's together */
    sc_obj *objs;
    size_t nobj, capobj;
    sc_event *evs;
    size_t nev, capev;

    /* while scanning */
    yajl_handle h;
    const char *text;
    size_t textlen;
    int depth;
    size_t end;                          /* just after the batch's ']' */
    unsigned char is_obj[MAX_DEPTH + 2]; /* per depth: the open container is an object */
    sc_list open[2];                     /* members of the open event (0), of its object (1) */
    size_t open_member;                  /* the event's member that holds the open object */
    const char *key[2];                  /* the pending key at depth 2 and 3 */
    size_t klen[2];
};

static bool grow(void **p, size_t *cap, size_t n, size_t size)
{
    if (n < *cap) return true;
    size_t c = *cap ? *cap * 2 : 64;
    void *g = realloc(*p, c * size);
    if (!g) return false;
    *p = g;
    *cap = c;
    return true;
}

static bool in_text(const evscan *s, const unsigned char *p, size_t len)
{
    const char *c = (const char *)p;
    return c >= s->text && c + len <= s->text + s->textlen;
}

/* Strict UTF-8 (no overlongs, no surrogates), as jansson checks every string. */
static bool utf8_ok(const unsigned char *p, size_t len)
{
    for (size_t i = 0; i < len;) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        size_t n = utf8_seq(p + i, len - i);
        if (!n) return false;
        i += n;
    }
    return true;
}

/* A string or key with an escape sequence (yajl hands over a decoded copy, not the text):
 * its event is read by jansson, which decodes and checks escapes its own way. */
static bool escaped(evscan *s, const unsigned char *p, size_t len)
{
    if (in_text(s, p, len)) return false;
    s->evs[s->nev].escaped = true; /* (inside an event: the batch's own level has no strings) */
    return true;
}

/* A copy of a string of the text into the arena; NULL when it is not valid UTF-8. */
static const char *keep(evscan *s, const unsigned char *p, size_t len)
{
    if (!utf8_ok(p, len)) return NULL;
    char *d = s->arena + s->used;
    memcpy(d, p, len);
    d[len] = '\0';
    s->used += len + 1;
    return d;
}

/* Where a value at the current depth goes: the open event's or the open object's members,
 * or nowhere (a deeper container's). */
static sc_list *target(evscan *s, int *slot)
{
    if (s->depth == 2) {
        *slot = 0;
        return &s->open[0];
    }
    if (s->depth == 3 && s->is_obj[3]) {
        *slot = 1;
        return &s->open[1];
    }
    return NULL;
}

/* Append a value (its key is the pending one) where it goes. 0 stops the scan. */
static int add(evscan *s, const ev_jval *v, uint32_t objidx)
{
    if (s->depth == 1) return 0; /* an element that is not an object */
    int slot;
    sc_list *l = target(s, &slot);
    if (!l) return 1;
    if (!grow((void **)&l->m, &l->cap, l->n, sizeof *l->m)) return 0;
    l->m[l->n++] =
        (sc_member){.key = s->key[slot], .klen = s->klen[slot], .val = *v, .objidx = objidx};
    return 1;
}

static int on_null(void *ud)
{
    return add(ud, &(ev_jval){.kind = EV_J_NULL}, 0);
}

static int on_boolean(void *ud, int b)
{
    return add(ud, &(ev_jval){.kind = b ? EV_J_TRUE : EV_J_FALSE}, 0);
}

/* JSON's number grammar (RFC 8259 §6), checked again here so that evscan never takes a number
 * jansson would refuse. Sets *integer when it has no fraction or exponent. */
static bool number_ok(const char *p, size_t len, bool *integer)
{
    size_t i = 0;
    if (i < len && p[i] == '-') i++;
    if (i >= len) return false;
    if (p[i] == '0') {
        i++;
    } else if (p[i] >= '1' && p[i] <= '9') {
        while (i < len && p[i] >= '0' && p[i] <= '9')
            i++;
    } else {
        return false;
    }
    *integer = i == len;
    if (i < len && p[i] == '.') {
        size_t d = ++i;
        while (i < len && p[i] >= '0' && p[i] <= '9')
            i++;
        if (i == d) return false;
    }
    if (i < len && (p[i] == 'e' || p[i] == 'E')) {
        i++;
        if (i < len && (p[i] == '+' || p[i] == '-')) i++;
        size_t d = i;
        while (i < len && p[i] >= '0' && p[i] <= '9')
            i++;
        if (i == d) return false;
    }
    return i == len;
}

static int on_number(void *ud, const char *p, size_t len)
{
    char buf[64];
    bool integer;
    if (len >= sizeof buf || !number_ok(p, len, &integer)) return 0;
    memcpy(buf, p, len);
    buf[len] = '\0';
    ev_jval v = {.kind = integer ? EV_J_INTEGER : EV_J_REAL};
    errno = 0;
    if (integer) {
        v.i = strtoll(buf, NULL, 10);
        if (errno == ERANGE) return 0; /* jansson: "too big integer" */
    } else {
        double d = strtod(buf, NULL);
        if (errno == ERANGE && isinf(d)) return 0; /* jansson: "real number overflow" */
    }
    return add(ud, &v, 0);
}

static int on_string(void *ud, const unsigned char *p, size_t len)
{
    evscan *s = ud;
    int slot;
    if (s->depth == 1) return 0; /* an element that is not an object */
    if (escaped(s, p, len)) return 1;
    if (!target(s, &slot)) return utf8_ok(p, len); /* not kept, but checked as jansson would */
    const char *c = keep(s, p, len);
    if (!c) return 0;
    return add(s, &(ev_jval){.kind = EV_J_STRING, .s = c, .len = len}, 0);
}

static int on_key(void *ud, const unsigned char *p, size_t len)
{
    evscan *s = ud;
    int slot;
    if (escaped(s, p, len)) return 1;
    if (!target(s, &slot)) return utf8_ok(p, len);
    const char *k = keep(s, p, len);
    if (!k) return 0;
    s->key[slot] = k;
    s->klen[slot] = len;
    return 1;
}

/* The members of the open list become an object of the scan; its index in *idx. */
static bool close_object(evscan *s, sc_list *l, uint32_t *idx)
{
    if (!grow((void **)&s->objs, &s->capobj, s->nobj, sizeof *s->objs)) return false;
    for (size_t i = 0; i < l->n; i++) {
        if (!grow((void **)&s->mem.m, &s->mem.cap, s->mem.n, sizeof *s->mem.m)) return false;
        s->mem.m[s->mem.n++] = l->m[i];
    }
    s->objs[s->nobj] = (sc_obj){.first = (uint32_t)(s->mem.n - l->n), .n = (uint32_t)l->n};
    *idx = (uint32_t)s->nobj++;
    l->n = 0;
    return true;
}

static int open_container(evscan *s, bool object)
{
    if (s->depth >= MAX_DEPTH) return 0; /* deeper than any event: jansson decides */
    if (s->depth == 1) {
        if (!object) return 0;
        size_t at = yajl_get_bytes_consumed(s->h);
        if (at < 1 || s->text[at - 1] != '{') return 0;
        if (!grow((void **)&s->evs, &s->capev, s->nev, sizeof *s->evs)) return 0;
        s->evs[s->nev] = (sc_event){.off = at - 1};
        s->open[0].n = 0;
    } else if (s->depth >= 2) {
        /* a member of kind object (no members kept when deeper: the empty object 0) or array */
        if (s->depth == 2) s->open_member = s->open[0].n;
        if (!add(s, &(ev_jval){.kind = object ? EV_J_OBJECT : EV_J_ARRAY}, 0)) return 0;
        if (s->depth == 2) s->open[1].n = 0;
    }
    s->depth++;
    s->is_obj[s->depth] = object;
    return 1;
}

static int on_start_map(void *ud)
{
    return open_container(ud, true);
}

static int on_start_array(void *ud)
{
    return open_container(ud, false);
}

static int on_end_map(void *ud)
{
    evscan *s = ud;
    uint32_t idx;
    if (s->depth == 2) { /* an event */
        size_t at = yajl_get_bytes_consumed(s->h);
        if (at < 1 || s->text[at - 1] != '}' || !close_object(s, &s->open[0], &idx)) return 0;
        sc_event *e = &s->evs[s->nev++];
        e->obj = idx;
        e->len = at - e->off;
    } else if (s->depth == 3) { /* an object in an event */
        if (!close_object(s, &s->open[1], &idx)) return 0;
        s->open[0].m[s->open_member].objidx = idx;
    }
    s->depth--;
    return 1;
}

static int on_end_array(void *ud)
{
    evscan *s = ud;
    if (--s->depth == 0) s->end = yajl_get_bytes_consumed(s->h);
    return 1;
}

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static const yajl_callbacks callbacks = {
    .yajl_null = on_null,
    .yajl_boolean = on_boolean,
    .yajl_number = on_number,
    .yajl_string = on_string,
    .yajl_start_map = on_start_map,
    .yajl_map_key = on_key,
    .yajl_end_map = on_end_map,
    .yajl_start_array = on_start_array,
    .yajl_end_array = on_end_array,
};

static void sc_get(const void *obj, const char *key, ev_jval *out)
{
    const sc_obj *o = obj;
    size_t klen = strlen(key);
    for (uint32_t i = o->n; i-- > 0;) {
        const sc_member *m = &o->m[i];
        if (m->klen == klen && memcmp(m->key, key, klen) == 0) {
            *out = m->val;
            return;
        }
    }
    *out = (ev_jval){.kind = EV_J_ABSENT};
}

/* The scan is complete: objects point at their members, object values at their objects. */
static void link_objects(evscan *s)
{
    for (size_t i = 0; i < s->nobj; i++)
        s->objs[i].m = s->mem.m ? s->mem.m + s->objs[i].first : NULL; /* NULL: no members */
    for (size_t i = 0; i < s->mem.n; i++) {
        sc_member *m = &s->mem.m[i];
        if (m->val.kind == EV_J_OBJECT) m->val.o = (ev_jobj){sc_get, &s->objs[m->objidx]};
    }
    for (size_t i = 0; i < s->nev; i++)
        s->evs[i].val = (ev_jval){.kind = EV_J_OBJECT, .o = {sc_get, &s->objs[s->evs[i].obj]}};
}

/* The events with an escape sequence, each read again by jansson alone. False when jansson
 * refuses one: the caller then parses the whole text, for jansson's error at its position. */
static bool read_escaped(evscan *s, const char *text)
{
    for (size_t i = 0; i < s->nev; i++) {
        sc_event *e = &s->evs[i];
        if (!e->escaped) continue;
        e->tree = json_loadb(text + e->off, e->len, 0, NULL);
        if (!json_is_object(e->tree)) return false;
        ev_jval_of_json(e->tree, &e->val);
    }
    return true;
}

evscan *evscan_array(const char *text, size_t len)
{
    size_t i = 0;
    while (i < len && is_ws(text[i]))
        i++;
    if (i >= len || text[i] != '[') return NULL;
    /* yajl takes \v and \f as whitespace, JSON (and jansson) does not; in a string they
     * would have to be escaped: either way not a text evscan takes */
    if (memchr(text, '\v', len) || memchr(text, '\f', len)) return NULL;
    evscan *s = cw_xcalloc(1, sizeof *s);
    s->arena = malloc(len + 1);
    s->text = text;
    s->textlen = len;
    s->h = yajl_alloc(&callbacks, NULL, s);
    uint32_t empty;
    bool ok = s->arena && s->h && close_object(s, &s->open[0], &empty); /* object 0: {} */
    ok = ok && yajl_parse(s->h, (const unsigned char *)text, len) == yajl_status_ok &&
         yajl_complete_parse(s->h) == yajl_status_ok && s->depth == 0 && s->end > 0;
    /* yajl leaves a token cut short after the value unread (e.g. a lone '"'): only
     * whitespace may follow the batch */
    for (size_t j = s->end; ok && j < len; j++)
        ok = is_ws(text[j]);
    if (s->h) yajl_free(s->h);
    s->h = NULL;
    free(s->open[0].m);
    free(s->open[1].m);
    memset(s->open, 0, sizeof s->open);
    s->text = NULL;
    if (!ok) {
        evscan_free(s);
        return NULL;
    }
    link_objects(s);
    if (!read_escaped(s, text)) {
        evscan_free(s);
        return NULL;
    }
    return s;
}

size_t evscan_count(const evscan *s)
{
    return s->nev;
}

const ev_jval *evscan_event(const evscan *s, size_t i)
{
    return &s->evs[i].val;
}

void evscan_span(const evscan *s, size_t i, size_t *off, size_t *len)
{
    *off = s->evs[i].off;
    *len = s->evs[i].len;
}

void evscan_free(evscan *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->nev; i++)
        json_decref(s->evs[i].tree);
    free(s->arena);
    free(s->mem.m);
    free(s->objs);
    free(s->evs);
    free(s);
}
