/* wallctl_internal: what wallctl.c (state, alerts, timer) and wallctl_api.c (documents and
 * operator commands) share; not part of the wallctl API. Thread: service thread. */
#ifndef CW_WALLCTL_INTERNAL_H
#define CW_WALLCTL_INTERNAL_H

#include <stdio.h>

#include "wallctl.h"

#define WALLCTL_MAX_PINS 64
#define WALLCTL_LOG 128
#define WALLCTL_ID 112

enum { PIN_OPERATOR, PIN_ALERT };

/* A claim on the hero slot. prio: 0 operator, 1 P1, 2 P2 (lower wins). */
typedef struct wall_pin {
    char id[WALLCTL_ID]; /* "alert:<alert id>" or "operator" */
    int kind;            /* PIN_* */
    int prio;
    int hall; /* cfg hall index */
    char hall_id[32];
    char camera[64]; /* "" when the hall has none */
    char alert[96], rule[8], title[96];
    char started[40];   /* the alert's start (business time, RFC 3339), "" */
    char by[80];        /* the operator, or "alert R1" */
    int64_t since_ms;   /* real ms it was pinned */
    int64_t cleared_ms; /* real ms its alert resolved; 0 while firing */
    int64_t until_ms;   /* an operator's show without "pin": real ms it ends; 0 = until unpinned */
    bool dismissed;     /* an operator unpinned this alert's hall: kept only to not pin again */
    bool seen;          /* scratch of reconcile() */
} wall_pin;

typedef struct wall_rec {
    int64_t at_ms;
    char action[16]; /* pin | show | clear | release | unpin | scene | tour */
    char who[80], what[160], why[200];
} wall_rec;

typedef struct wall_st {
    char id[72];
    int scene;              /* index into cfg_wall.scenes */
    char scene_by[16];      /* why: "default", "playlist", "schedule" or "operator" */
    int64_t scene_until_ms; /* an operator's scene holds until then (real ms); 0 none */
    int sched;              /* the schedule entry in force, -1 the playlist, -2 not yet */
    int pl_pos;             /* position in that playlist */
    int64_t pl_next_ms;     /* real ms of its next scene */
    int64_t step;           /* tour position */
    int64_t next_ms;        /* real ms of the next step; 0 before the first tick */
    bool paused;
    wall_pin pins[WALLCTL_MAX_PINS];
    int npins;
    char hero_id[WALLCTL_ID]; /* the pin on the hero slot, "" none */
    int64_t hero_since_ms;
    uint64_t version;
    wall_rec log[WALLCTL_LOG]; /* ring */
    int log_head, nlog;
} wall_st;

struct wallctl {
    hub_t *hub;
    wall_st *v; /* per cfg wall, same order */
    int n;
    uint64_t alerts_version;
    bool alerts_seen;
};

void wallctl_record(wallctl_t *w, wall_st *s, const char *action, const char *who, const char *what,
                    const char *why);
wall_pin *wallctl_find_pin(wall_st *s, const char *id);
wall_pin *wallctl_add_pin(wall_st *s, const char *id);
void wallctl_drop_pin(wall_st *s, int i);
/* The camera that best shows a hall (its waiting area, else its first); "" when none. */
const char *wallctl_best_camera(const cfg_hall *h);

static inline void wallctl_pin_hall(wall_pin *p, const cfg_t *cfg, int hall)
{
    p->hall = hall;
    snprintf(p->hall_id, sizeof p->hall_id, "%s", hall >= 0 ? cfg->halls[hall].id : "");
}

#endif
