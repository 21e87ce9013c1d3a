/* wallctl: the state of every configured video wall (`walls:` in the config), decided in the
 * hub and published as the live topic wall/<id> (SPEC §4), which every host of that wall
 * renders (citywall-wall --wall ID):
 *
 *   - the tour position: one step every tour_s real seconds (paused by an operator);
 *   - the scene (one of the wall's scenes, chosen by an operator);
 *   - the hero pin and its reason, from the pins: an operator's (上墙, highest), then every
 *     firing P1, then P2 hall-level alert (告警联动: R1-R4, R6-R9, R10, R12, R14, R15, neither
 *     silenced nor inhibited). A better class pre-empts; pins of one class rotate every pin_s;
 *     a cleared alert keeps its pin for grace_s (shown · 已恢复), then it is released; an
 *     operator's show without "pin" ends after show_s.
 *
 * Every pin, clear and release is recorded (who / what / when / why): the last records are in
 * GET /api/v1/walls, and each one goes to the audit log.
 *
 * Thread: service thread only (the hub's timer, REST handlers, the live module).
 */
#ifndef CW_WALLCTL_H
#define CW_WALLCTL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "hub.h"

typedef struct wallctl wallctl_t;

wallctl_t *wallctl_create(hub_t *hub);
void wallctl_destroy(wallctl_t *w);
/* The config was reloaded: walls are matched by id (their state kept), others start fresh. */
void wallctl_reconfigure(wallctl_t *w);

/* Every hub tick: alerts to pins, grace periods, rotation, tour steps. */
void wallctl_tick(wallctl_t *w);

/* The live topic of wall index i: its document (new reference) and a version that moves
 * whenever the document may have changed. */
json_t *wallctl_doc(wallctl_t *w, int i);
uint64_t wallctl_version(const wallctl_t *w, int i);

/* GET /api/v1/walls: every wall with its hosts (each with the last fleet report of a host
 * showing that wall at that viewport, from `clients`: live_clients_json's array), state,
 * pins and recent records (new reference). */
json_t *wallctl_list(wallctl_t *w, json_t *clients);

/* Operator commands on wall index i, by `user`. Each returns an HTTP status (200, 400 with
 * err filled) and, on 200, the wall's state in *out (new reference). */
int wallctl_show(wallctl_t *w, int i, json_t *body, const char *user, json_t **out, char *err,
                 size_t errn);
int wallctl_unpin(wallctl_t *w, int i, json_t *body, const char *user, json_t **out, char *err,
                  size_t errn);
int wallctl_tour(wallctl_t *w, int i, json_t *body, const char *user, json_t **out, char *err,
                 size_t errn);

/* /metrics lines: event-to-glass as each wall host reports it (the last samples of ingest ack ->
 * presented frame), citywall_wall_glass_ms{peer,viewport,wall,quantile} (malloc'd; NULL when
 * none reports it), from the live clients' list (live_clients_json, every client). */
char *wallctl_metrics_text(json_t *clients);

#endif
