/* sim_scenario: the simulator's named scenarios (--scenario NAME).
 *
 * A scenario is plain data read by the traffic model: which kinds of traffic run, and the
 * scripted incidents that make a test or a demo deterministic. Hall ids that the config does
 * not have (or that --halls leaves out) make the scripted part a no-op.
 */
#ifndef CW_SIM_SCENARIO_H
#define CW_SIM_SCENARIO_H

#include <stdbool.h>
#include <stdint.h>

typedef struct sim_scenario {
    const char *name;
    const char *summary;
    bool traffic;   /* tickets, windows, reviews, cases */
    bool cameras;   /* camera.status at start and camera flaps */
    bool incidents; /* random hall silences and surges (seeded) */
    /* scripted: arrivals at surge_hall multiplied by surge_factor for the whole run */
    const char *surge_hall;
    double surge_factor;
    /* scripted: silent_hall sends nothing from start + silent_after_ms on (for good) */
    const char *silent_hall;
    int64_t silent_after_ms;
    /* scripted: a level-1 real-name review with 跳楼 and a phone number at bad_review_hall,
     * start + bad_review_after_ms */
    const char *bad_review_hall;
    int64_t bad_review_after_ms;
} sim_scenario;

/* The scenario called `name`, or NULL when there is none. The result is static. */
const sim_scenario *sim_scenario_find(const char *name);
/* The i-th scenario (from 0), NULL past the last: for listing them. */
const sim_scenario *sim_scenario_at(int i);
/* "normal, surge, ..." for usage messages (static). */
const char *sim_scenario_names(void);

#endif
