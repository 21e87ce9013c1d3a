/* sim_scenario: the table of named scenarios (see sim_scenario.h and docs/sim.md). */
#include "sim_scenario.h"

#include <string.h>

static const sim_scenario sim_scenarios[] = {
    {.name = "normal",
     .summary = "a believable day; now and then a silent hall or a surge",
     .traffic = true,
     .cameras = true,
     .incidents = true},
    {.name = "surge",
     .summary = "normal, and LH-00 gets 4x arrivals from the start",
     .traffic = true,
     .cameras = true,
     .surge_hall = "LH-00",
     .surge_factor = 4.0},
    {.name = "silent-hall",
     .summary = "normal, and LH-05 sends nothing from 2 business minutes on",
     .traffic = true,
     .cameras = true,
     .silent_hall = "LH-05",
     .silent_after_ms = 2 * 60 * 1000},
    {.name = "bad-review",
     .summary = "normal, and LH-03 gets a level-1 real-name review naming 跳楼 (+ phone)",
     .traffic = true,
     .cameras = true,
     .bad_review_hall = "LH-03",
     .bad_review_after_ms = 30 * 1000},
    {.name = "quiet", .summary = "only heartbeats"},
};

const sim_scenario *sim_scenario_find(const char *name)
{
    for (size_t i = 0; i < sizeof sim_scenarios / sizeof sim_scenarios[0]; i++)
        if (strcmp(sim_scenarios[i].name, name) == 0) return &sim_scenarios[i];
    return NULL;
}

const sim_scenario *sim_scenario_at(int i)
{
    return i >= 0 && (size_t)i < sizeof sim_scenarios / sizeof sim_scenarios[0] ? &sim_scenarios[i]
                                                                                : NULL;
}

const char *sim_scenario_names(void)
{
    return "normal, surge, silent-hall, bad-review, quiet";
}
