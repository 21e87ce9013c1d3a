/* wallstate: the hub-decided state of the wall this host belongs to (citywall-wall --wall ID;
 * the live topic wall/<id>, SPEC §4, server/wallctl.h): tour position, scene and the hero pin
 * with its reason, parsed from the topic's document into plain fields for the panels.
 * Thread: render thread (the model owns it). */
#ifndef CW_WALLSTATE_H
#define CW_WALLSTATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct wallstate {
    bool on;    /* this host follows a hub-decided wall (--wall) */
    bool known; /* its state has arrived */
    char id[72];
    uint64_t rev;    /* the topic's rev */
    int64_t step;    /* tour position */
    int64_t next_ms; /* real ms of the next step; 0 when paused or unknown */
    bool paused;
    char scene[48];
    int npins;
    bool hero; /* a pin holds the hero slot */
    char hero_id[112], hero_hall[32], hero_camera[64], hero_reason[16];
    char hero_title[96], hero_sev[12], hero_by[80], hero_rule[8];
    int64_t hero_started_ms; /* business ms the alert started; 0 unknown / operator */
    bool hero_cleared;       /* its alert resolved: shown · 已恢复 until the grace ends */
} wallstate;

/* Read doc (the wall/<id> document) into *w (on, id are kept). */
void wallstate_parse(wallstate *w, json_t *doc, uint64_t rev);

#endif
