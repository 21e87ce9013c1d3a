/* config_rules: the alert rules' table (SPEC §6) -- every rule's name, parameters, their
 * defaults and upper bounds. The bottom of the alert configuration: config_alerts.c parses the
 * `alerts` section against it, config_route.c names rules with it. */
#include "config_load.h"

#include <string.h>

#define NOWN (CFG_RULE_NPARAMS - CFG_P_FIRST)

typedef struct rule_spec {
    const char *name;
    double for_s, keep_s;
    const char *params[NOWN + 1];
    double defaults[NOWN];
    double max[NOWN];
} rule_spec;

/* SPEC §6 defaults: `for` 0 for event rules and rules whose condition is already a duration,
 * 2 min for the others; keep_firing_for 2 min, except the event rules R10 and R12, which
 * resolve by their own condition (case closed, or 24 h). */
static const rule_spec specs[CFG_NRULES] = {
    [CFG_R1] = {"R1", 0, 120, {"p3_min", "p2_min"}, {30, 60}, {1e6, 1e6}},
    [CFG_R2] =
        {"R2", 120, 120, {"over_sla", "share", "share_min_waiting"}, {5, 0.2, 10}, {1e6, 1, 1e6}},
    [CFG_R3] = {"R3", 120, 120, {"per_window"}, {10}, {1e6}},
    [CFG_R4] = {"R4", 120, 120, {"sl_below", "min_calls"}, {0.8, 20}, {1, 1e6}},
    [CFG_R5] =
        {"R5", 0, 120, {"floor_min", "factor", "history_days"}, {30, 3, 30}, {1e6, 1000, 366}},
    [CFG_R6] = {"R6", 0, 120, {"p3_min", "p2_min"}, {15, 30}, {1e6, 1e6}},
    [CFG_R7] = {"R7", 0, 120, {"idle_min"}, {5}, {1e6}},
    /* R8: SPEC "for >= 10 min"; a window paused for a break (lunch, meeting) counts as
     * staffed for the first break_min (lunch_min, meeting_min) minutes of its pause. */
    [CFG_R8] = {"R8",
                600,
                120,
                {"ratio", "after_open_min", "break_min", "lunch_min", "meeting_min"},
                {0.8, 10, 15, 60, 0},
                {1, 1440, 1440, 1440, 1440}},
    [CFG_R9] =
        {"R9", 120, 120, {"recalls", "no_show_ratio", "min_calls"}, {3, 0.2, 10}, {1e6, 1, 1e6}},
    /* R10: the sensitive-comment score (docs/alerts.md) -- a term's weight times the factor
     * of the review's level (levelN) and, for praise at level >= 4, `praise`; P1 from
     * p1_score, a P3 note from note_score. An ordinary (P3) bad review colours its hall for
     * colour_min business minutes at most, and not once acknowledged. */
    [CFG_R10] = {"R10",
                 0,
                 0,
                 {"resolve_after_h", "p1_score", "note_score", "level1", "level2", "level3",
                  "level4", "level5", "praise", "colour_min"},
                 {24, 7, 2, 1.5, 1.2, 0.6, 0.3, 0.2, 0.5, 30},
                 {24 * 366, 1e6, 1e6, 100, 100, 100, 100, 100, 100, 1e6}},
    /* R11-R13 (cases, not live incidents): they colour their hall for colour_min business
     * minutes at most, and not once acknowledged. */
    [CFG_R11] = {"R11", 0, 120, {"colour_min"}, {60}, {1e6}},
    [CFG_R12] = {"R12",
                 0,
                 0,
                 {"per_staff", "per_window", "per_item", "item_days", "resolve_after_h",
                  "colour_min"},
                 {2, 2, 3, 7, 24, 60},
                 {1e6, 1e6, 1e6, 366, 24 * 366, 1e6}},
    [CFG_R13] = {"R13",
                 120,
                 120,
                 {"drop", "min_reviews", "recent_days", "base_days", "colour_min"},
                 {0.02, 100, 7, 30, 60},
                 {1, 1e9, 366, 366, 1e6}},
    [CFG_R14] = {"R14", 0, 120, {"down_s", "hall_share"}, {60, 0.2}, {1e6, 1}},
    [CFG_R15] = {"R15", 0, 120, {"silent_min"}, {5}, {1e6}},
    [CFG_H1] = {"H1", 0, 120, {"disk_free"}, {0.10}, {1}},
    [CFG_H2] = {"H2", 0, 120, {"outbox_age_min"}, {5}, {1e6}},
    [CFG_H3] = {"H3", 0, 120, {"quarantine_per_min"}, {100}, {1e9}},
    [CFG_H4] = {"H4", 0, 120, {"skew_min"}, {5}, {1e6}},
    /* R16 (a province hub): a city none of whose records is newer than silent_s business
     * seconds; it resolves as soon as its records are that fresh again (keep 0). */
    [CFG_R16] = {"R16", 0, 0, {"silent_s"}, {60}, {1e6}},
};

const char *cfg_rule_name(int rule)
{
    return rule >= 0 && rule < CFG_NRULES ? specs[rule].name : "?";
}

int cfg_rule_index(const char *name)
{
    for (int r = 0; name && r < CFG_NRULES; r++)
        if (strcmp(specs[r].name, name) == 0) return r;
    return -1;
}

const char *cfg_rule_param_name(int rule, int p)
{
    static const char *const common[CFG_P_FIRST] = {"enabled", "for", "keep_firing_for"};
    if (rule < 0 || rule >= CFG_NRULES || p < 0 || p >= CFG_RULE_NPARAMS) return NULL;
    if (p < CFG_P_FIRST) return common[p];
    return specs[rule].params[p - CFG_P_FIRST];
}

double cfg_rule_param_default(int rule, int p)
{
    if (rule < 0 || rule >= CFG_NRULES || p < 0 || p >= CFG_RULE_NPARAMS) return 0;
    switch (p) {
    case CFG_P_ENABLED:
        return 1;
    case CFG_P_FOR_S:
        return specs[rule].for_s;
    case CFG_P_KEEP_S:
        return specs[rule].keep_s;
    default:
        return specs[rule].defaults[p - CFG_P_FIRST];
    }
}

double cfg_rule_param_max(int rule, int p)
{
    if (rule < 0 || rule >= CFG_NRULES || p < CFG_P_FIRST || p >= CFG_RULE_NPARAMS) return 0;
    return specs[rule].max[p - CFG_P_FIRST];
}
