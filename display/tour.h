/* tour: 轮巡 -- which cameras a grid shows, group after group, and which one an alert pins to
 * the hero slot. Pure logic (no GL, no video): the camera panel feeds it the eligible cameras
 * (online, with a stream URL) and the current time, and opens the streams it names.
 *
 * Groups: the eligible cameras (in the caller's stable order) are shown `slots` at a time;
 * every dwell_ms the tour moves to the next group, wrapping around. The next group is known
 * in advance (tour.next) so its streams can be opened `preroll_ms` before the switch; the
 * switch waits (at most TOUR_SWITCH_GRACE_MS) until every pre-rolled tile has a frame, so the
 * change on the wall takes at most that long. A camera that stops being eligible leaves at
 * once (the camera panel keeps an on-screen camera that goes offline eligible until the tour
 * moves on, so its tile shows NO SIGNAL); with no more cameras than slots there is no
 * rotation.
 *
 * Hero: tour_pin() pins a camera (for an alert that names a window or a camera) for pin_ms;
 * each alert id pins once. When the pin ends the next alert waiting for the hero (if any)
 * takes it, else the slot goes back to the tour.
 */
#ifndef CW_TOUR_H
#define CW_TOUR_H

#include <stdbool.h>
#include <stdint.h>

#define TOUR_MAX 64
#define TOUR_SWITCH_GRACE_MS 1000
#define TOUR_MEMORY 128

typedef struct tour {
    int dwell_ms, pin_ms, preroll_ms;
    int slots;                 /* tiles in a group (set by tour_step) */
    int pos;                   /* index in the eligible list where the current group starts */
    int64_t switch_at;         /* when the current group's dwell ends; 0 before the first group */
    int cur[TOUR_MAX], ncur;   /* camera ids (caller's numbers) shown now */
    int next[TOUR_MAX], nnext; /* the group after the switch */
    bool preroll;              /* the next group should be open now */
    int switches;

    int hero; /* camera pinned to the hero slot, -1 none */
    int64_t hero_until;
    char hero_alert[128];
    char seen[TOUR_MEMORY][128]; /* alert ids that have pinned (ring) */
    int nseen;
} tour;

void tour_init(tour *t, int dwell_ms, int pin_ms, int preroll_ms);

/* Advance to `now`. eligible: camera ids in display order (n of them); slots: tiles the group
 * fills; ready(id, ud): the pre-rolled stream of camera id has a frame. */
void tour_step(tour *t, const int *eligible, int n, int slots, int64_t now,
               bool (*ready)(int id, void *ud), void *ud);

/* A hub-decided wall (--wall): the group is the step-th (group k starts at eligible index
 * k * slots mod n), the same on every host of the wall that sees the same cameras; the switch
 * happens when the hub's step changes, not on a local timer (no waiting for pre-rolled
 * frames: every host switches at once). next_ms: real ms of the hub's next step (0 unknown);
 * the next group is pre-rolled preroll_ms before it. */
void tour_follow(tour *t, const int *eligible, int n, int slots, int64_t step, int64_t next_ms,
                 int64_t now);

/* Set the hero slot to camera `cam` (-1: none) for reason `key` (a pin id), with no expiry: a
 * hub-decided wall releases it by a new state. */
void tour_hold(tour *t, int cam, const char *key);

/* An alert `alert_id` points at camera `cam`: pin it to the hero slot unless this alert has
 * pinned before or another pin is still running. Returns true when it took the slot. */
bool tour_pin(tour *t, int cam, const char *alert_id, int64_t now);

/* End the pin early (its camera is gone). */
void tour_unpin(tour *t);

#endif
