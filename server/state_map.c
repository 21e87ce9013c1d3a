/* state_map: the open-addressing string map (linear probing, FNV-1a). See state_map.h.
 *
 * Thread: the map's owner. */
#include "state_map.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* ---------------------------------------------------------------- string map */

static uint32_t map_hash(const char *s)
{
    uint32_t h = 2166136261u;
    while (*s) {
        h ^= (uint8_t)*s++;
        h *= 16777619u;
    }
    return h ? h : 1;
}

void *state_map_get(const state_map *m, const char *key)
{
    if (!m->cap) return NULL;
    uint32_t h = map_hash(key), mask = m->cap - 1;
    for (uint32_t i = h & mask;; i = (i + 1) & mask) {
        const state_map_entry *e = &m->e[i];
        if (!e->key) return NULL;
        if (e->hash == h && strcmp(e->key, key) == 0) return e->val;
    }
}

static int map_grow(state_map *m)
{
    uint32_t ncap = m->cap ? m->cap * 2 : 16;
    state_map_entry *ne = calloc(ncap, sizeof *ne);
    if (!ne) return -1;
    for (uint32_t i = 0; i < m->cap; i++) {
        if (!m->e[i].key) continue;
        uint32_t j = m->e[i].hash & (ncap - 1);
        while (ne[j].key)
            j = (j + 1) & (ncap - 1);
        ne[j] = m->e[i];
    }
    free(m->e);
    m->e = ne;
    m->cap = ncap;
    return 0;
}

int state_map_put(state_map *m, const char *key, void *val)
{
    if ((m->n + 1) * 4 > m->cap * 3 && map_grow(m) < 0) return -1;
    uint32_t h = map_hash(key), mask = m->cap - 1;
    for (uint32_t i = h & mask;; i = (i + 1) & mask) {
        state_map_entry *e = &m->e[i];
        if (!e->key) {
            e->key = key;
            e->val = val;
            e->hash = h;
            m->n++;
            return 0;
        }
        if (e->hash == h && strcmp(e->key, key) == 0) {
            e->key = key;
            e->val = val;
            return 0;
        }
    }
}

void state_map_free(state_map *m)
{
    free(m->e);
    m->e = NULL;
    m->cap = m->n = 0;
}
