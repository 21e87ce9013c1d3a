/* state_map: the string map of the state (its tickets and review ids by id) and of the
 * statistics fold's cache (state_map.c).
 *
 * Not thread-safe: each map belongs to one thread. */
#ifndef CW_STATE_MAP_H
#define CW_STATE_MAP_H

#include <stdint.h>

/* Open-addressing string map (linear probing, FNV-1a). Keys are borrowed: each key must
 * outlive its entry (it is normally a string inside the value). A zeroed map is empty. */
typedef struct state_map_entry {
    const char *key;
    void *val;
    uint32_t hash;
} state_map_entry;

typedef struct state_map {
    state_map_entry *e;
    uint32_t cap, n;
} state_map;

void *state_map_get(const state_map *m, const char *key);
/* Insert or replace. 0, or -1 when out of memory. */
int state_map_put(state_map *m, const char *key, void *val);
void state_map_free(state_map *m);

#endif
