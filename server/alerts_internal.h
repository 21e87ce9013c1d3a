/* alerts_internal: the data structures behind alerts.h, shared by alerts.c (lifecycle,
 * storage, suppression, documents, notifications), alert_rules.c (the rules), alert_data.c
 * (bad-review records and daily figures), alert_silence.c (silences) and alert_route.c
 * (routing, receivers' formats). Not for other modules.
 *
 * Calls between these files go both ways, on purpose: alerts.c's tick evaluates the rules
 * (al_rules_eval), and each rule reports every true condition back to the lifecycle
 * (al_cond_init + al_report), a visitor rather than a list built and handed back; the
 * silences, the routes and the data records write through alerts.c's store sink (al_store)
 * and the routes format alerts with its documents (al_alert_json, al_am_alert). They are one
 * module spread over files by job; nothing outside calls into them but alerts.h.
 *
 * Invariants:
 *  1. a->v holds every known alert (pending, firing, resolved within the last 24 h), sorted by
 *     id; each alert is owned by the array.
 *  2. An alert's `notified` is what its receivers were last sent (or will be sent: the outbox
 *     row is queued before the mark); it changes only in a group flush.
 *  3. a->rv holds the recorded bad reviews and sensitive comments of the last
 *     AL_REVIEW_DAYS days, oldest first; each is owned by the array.
 *  4. a->hh[i].days are sorted by date, one entry per date.
 */
#ifndef CW_ALERTS_INTERNAL_H
#define CW_ALERTS_INTERNAL_H

#include "alerts.h"
#include "lexicon.h"
#include "notify.h"

#include <regex.h>

#define AL_ID_MAX 192
#define AL_TEXT_MAX 600
#define AL_REVIEW_DAYS 40 /* bad-review records kept in memory (R10, R12) */
#define AL_DAYS_KEPT 40   /* daily figures kept in memory (R5, R13) */
#define AL_HBUCKETS 64    /* service-time histogram buckets (R5) */
#define AL_RESOLVED_KEEP_MS (24LL * 3600 * 1000)

enum al_state { AL_PENDING, AL_FIRING, AL_RESOLVED };
enum al_notified { AL_N_NONE, AL_N_FIRING, AL_N_RESOLVED };

typedef struct alert {
    char *id;
    int rule;       /* enum cfg_rule */
    char *hall;     /* hall id; NULL for the hub's own alerts */
    int hall_idx;   /* index in the current config, -1 */
    int state;      /* enum al_state */
    int severity;   /* 1..4 (P1..P4) */
    json_t *labels; /* string -> string, including alertname, severity, hall, scope ids */
    json_t *scope;  /* {"kind", ids...} */
    json_t *evidence, *evidence_priv; /* priv: staff names, comments (names views only) */
    char *summary_zh, *summary_en;
    int64_t pending_ms, started_ms, resolved_ms, false_since_ms; /* business, -1 */
    char *ack_by, *ack_note;
    int64_t ack_ms; /* business, -1 */
    bool silenced, inhibited, was_silenced;
    char *silence_id; /* the silence that matches now (NULL) */
    int notified;     /* enum al_notified */
    int notified_sev;
    bool seen; /* reported true in the current evaluation */
    /* escalation (督办): severity = max(1, base_sev - esc_level) */
    int base_sev;       /* the severity its rule reports */
    int esc_level;      /* 0 hall, 1 city, 2 leader; 0 again with a new episode */
    int64_t esc_ms;     /* business instant of the last step, -1 */
    int64_t esc_due_ms; /* when the next step is due while unacknowledged, -1 when none */
    json_t *esc_steps;  /* [{level, to, at, from, severity}] of this episode, NULL */
    json_t *route_sent; /* routed groups: group key -> severity last sent firing, 0 resolved */
} alert;

/* A condition a rule found true now. Ownership of the json members passes to al_report. */
typedef struct al_cond {
    int rule;
    int hall; /* hall index, -1 for hub alerts */
    int severity;
    char id[AL_ID_MAX];
    json_t *labels;   /* scope labels (biz, window, ...) */
    json_t *scope;    /* {"kind":...} */
    json_t *evidence; /* may be NULL */
    json_t *evidence_priv;
    char zh[AL_TEXT_MAX], en[AL_TEXT_MAX];
} al_cond;

/* A recorded bad review (level <= 2) or sensitive comment. */
typedef struct al_review {
    char *hall, *review;
    int64_t at_ms;
    int date;
    int level, channel;
    char *window, *staff, *item, *comment; /* comment already masked */
    bool real_name;
    char *term, *category; /* the best counted lexicon term, NULL when none counted */
    int weight;
    double score;   /* the comment's sensitivity score (lexicon.h), 0 when none */
    int case_state; /* enum ev_case_state; -1 when the review opened no case */
} al_review;

/* Daily figures of one hall (R5 service times, R13 review counts). */
typedef struct al_day {
    int date;
    int64_t rv_n, rv_good;
    int nbiz;
    char **biz;                    /* biz ids (owned) */
    uint32_t (*hist)[AL_HBUCKETS]; /* per biz */
    bool dirty;                    /* not yet written to the store */
} al_day;

typedef struct al_median {
    char *biz;
    double median_s; /* -1 when no finished ticket in the history */
    int64_t n;
} al_median;

typedef struct al_hallhist {
    char *hall;
    al_day *days;
    int ndays, capdays;
    al_median *med; /* per biz, recomputed with today's figures */
    int nmed;
} al_hallhist;

typedef struct al_matcher {
    char *name, *value;
    bool regex, equal;
    regex_t re;
    bool compiled;
} al_matcher;

enum al_days { AL_DAYS_ANY, AL_DAYS_WORKDAYS, AL_DAYS_MASK };

typedef struct al_silence {
    char *id;
    al_matcher *m;
    int nm;
    int64_t starts_ms, ends_ms; /* business; -1 = open-ended on that side */
    bool recurring;
    int days;     /* enum al_days */
    uint8_t mask; /* AL_DAYS_MASK: bit 0 = Monday */
    int from_min, to_min;
    char *created_by, *comment, *hall;        /* hall: the value of its `hall` matcher, NULL */
    int64_t created_real_ms, expired_real_ms; /* expired: -1 while not expired */
    json_t *body;                             /* as returned by the API */
} al_silence;

typedef struct al_opseq {
    char *hall;
    int64_t seq;
} al_opseq;

/* A routed notification group: one route node and its group_by label values. */
typedef struct al_rgroup {
    char *key;              /* "<route>|<hall>|<rule>|<severity>" (the group_by parts only) */
    int route;              /* index in cfg alerts.routes */
    int64_t dirty_since_ms; /* real (monotonic) ms of the first change not yet sent; -1 */
    int64_t last_flush_ms;  /* real ms of the last notification; -1 */
} al_rgroup;

typedef struct al_group {
    char *key;              /* hall id, "" for the hub's own alerts */
    int64_t dirty_since_ms; /* real (monotonic) ms of the first change not yet sent; -1 */
} al_group;

struct alerts {
    hub_t *hub;
    alert **v;
    int n, cap;
    al_review **rv;
    int nrv, caprv;
    al_hallhist *hh;
    int nhh;
    al_silence **sil;
    int nsil;
    al_group *groups;
    int ngroups;
    lexicon_t *lex;
    notify_t *notify;
    void (*sink)(void *ud, store_job *j);
    void *sink_ud;
    uint64_t ver;
    int64_t now_ms, real_ms;   /* business and real (monotonic) now of the evaluation */
    bool dirty;                /* events applied since the last evaluation */
    bool log_clock;            /* cluster mode: rules run at the log's ticks (alerts_log_tick) */
    int64_t last_eval_sec;     /* business second of the last evaluation */
    int64_t last_eval_real_ms; /* real (monotonic) time of the last evaluation by the tick */
    int64_t started_real_ms;
    int64_t last_fig_min; /* business minute of the last daily-figure refresh */
    int64_t last_persist_real_ms, last_retention_real_ms;
    al_opseq *ops; /* per hall id: last operator seq handed out */
    int nops;
    /* H1/H3 sampling (real time) */
    int64_t last_h_real_ms;
    uint64_t quar_samples[7];
    int nquar;
    bool disk_low;
    double disk_free;
    alerts_stats stats;
    uint64_t duty_mask; /* the duty entries (first 64) on duty at the last evaluation */
    al_rgroup *rgroups; /* routed notification groups (alert_route.c) */
    int nrgroups;
};

/* ---- alert_registry.c: the bottom (calls no other alert file) ---- */
/* The alert with this id, or NULL. */
alert *al_find(alerts_t *a, const char *id);
/* Report a condition true now (takes the json members of c). */
void al_report(alerts_t *a, al_cond *c);
/* Start a condition: id, rule, hall, severity; scope {"kind": kind} with the hall id, labels
 * with the hall. */
void al_cond_init(alerts_t *a, al_cond *c, int rule, int hall, int severity, const char *kind);
/* Queue a store job (the sink; freed when there is none). */
void al_store(alerts_t *a, store_job *j);
/* Hand a malloc'd string to a job as its next text argument (no copy). */
void al_arg_take(store_job *j, char *s);

/* Rule titles (zh, en). */
const char *al_rule_title(int rule, bool zh);
/* "pending", "firing", "resolved" by alert state; "hall", "city", "leader" by level. */
extern const char *const al_state_names[3];
extern const char *const al_esc_names[CFG_ESC_LEVELS];
/* The registry, sorted by id: insert (0; -1 if the id exists or on OOM), remove the i-th. */
int al_insert(alerts_t *a, alert *al);
void al_remove_at(alerts_t *a, int i);
alert *al_alert_new(const char *id, int rule);
void al_alert_free(alert *al);
/* Rule parameter p for this alert (its hall's and biz's settings over the city's). */
double al_param(alerts_t *a, const alert *al, int p);
/* *dst replaced by a copy of src unless equal (NULL allowed); equal strings (or both NULL). */
void al_replace_str(char **dst, const char *src);
bool al_str_same(const char *x, const char *y);

/* ---- alert_lifecycle.c (al_report, al_cond_init above) ---- */
/* Recompute every hall's status colour from the firing alerts. */
void al_hall_statuses(alerts_t *a);
/* Move pending alerts past their `for` to firing, firing ones whose condition is gone past
 * `keep_firing_for` to resolved; drop what is done (evaluation tick). */
void al_lifecycle(alerts_t *a);
/* Mark firing alerts silenced or inhibited. */
void al_suppress(alerts_t *a);

/* ---- alert_doc.c: an alert as JSON, stored and loaded ---- */
void al_set_time(json_t *o, const char *k, int64_t ms);
void al_set_int(json_t *o, const char *k, int64_t v);
void al_set_str(json_t *o, const char *k, const char *s);
void al_fingerprint(const alert *al, char out[17]);
json_t *al_evidence_view(const alert *al, bool names);
json_t *al_on_duty(alerts_t *a, const alert *al, bool names);
/* The alert as REST shows it. */
json_t *al_alert_json(alerts_t *a, const alert *al, bool names);
/* A stored state change (kind: "fired", "resolved", "ack", ...), and a dropped alert. */
void al_persist(alerts_t *a, const alert *al, const char *kind, const char *user,
                const char *detail);
void al_forget(alerts_t *a, const alert *al);
/* The stored alerts back into the registry (at start). */
void al_load(alerts_t *a);
/* For notifications (alert_notify.c, alert_route.c): one Alertmanager alert, labels or
 * annotations common to every alert of an array, the externalURL. */
json_t *al_am_alert(alerts_t *a, const alert *al, bool firing);
json_t *al_common_of(json_t *arr, const char *member);
const char *al_external_url(alerts_t *a);

/* ---- alert_escalate.c ---- */
int al_esc_severity(const alert *al);
/* Raise the firing alerts nobody acknowledged in time to the next level. */
void al_escalation(alerts_t *a);
/* A duty shift began or ended: the documents show who is on duty now. */
void al_duty_changes(alerts_t *a);

/* ---- alert_notify.c ---- */
/* The store sink used when none is set. */
void al_default_sink(void *ud, store_job *j);
/* The alert has something its receivers were not told yet (firing, severity, resolved). */
bool al_changed(const alert *al);
/* The receivers of a level: up to max URLs into out; count. */
int al_receivers(alerts_t *a, int level, const char **out, int max);
/* Flush the groups whose wait passed (all when force). */
void al_notifications(alerts_t *a, int64_t real_ms, bool force);
/* Mark the outbox rows the sender delivered. */
void al_take_sent(alerts_t *a);
void al_set_receivers(alerts_t *a);

/* ---- alert_query.c ---- */
/* A viewer of halls (NULL: all) sees the alert: its hall is one of them. */
bool al_visible(const alert *al, const bool *halls);

/* ---- alert_route.c ---- */
/* Routed notifications (alerts.route): mark groups with changes, flush those whose group wait
 * passed (all of them when force), repeat firing groups every repeat_interval. */
void al_route_notify(alerts_t *a, int64_t real_ms, bool force);
/* The route nodes that take alert al (Alertmanager semantics): up to max into out; count. */
int al_route_leaves(const cfg_t *cfg, const alert *al, int *out, int max);
void al_route_free(alerts_t *a);
/* The configured receivers' URLs (for the sender), up to max; count. */
int al_route_urls(const cfg_t *cfg, const char **out, int max);

/* ---- alert_silence.c ---- */
/* Is silence s in effect at business now_ms (not expired, inside its window and recurrence)? */
bool al_silence_active(alerts_t *a, const al_silence *s, int64_t now_ms);
/* Do all of s's matchers match these labels (a missing label reads as "")? */
bool al_silence_matches(const al_silence *s, json_t *labels);
void al_silences_load(alerts_t *a);
/* Forget silences expired more than a day ago (memory). */
void al_silences_retention(alerts_t *a, int64_t real_wall_ms);
void al_silences_free(alerts_t *a);

/* ---- alert_rules.c ---- */
/* Evaluate every rule at business now_ms (the state's now), reporting true conditions. */
void al_rules_eval(alerts_t *a, int64_t now_ms, int64_t real_ms);

/* ---- alert_province.c ---- */
/* A province hub's R16 (a silent city) at business now_ms; nothing on a city hub. */
void al_province_rules(alerts_t *a, int64_t now_ms, int64_t real_ms);

/* R10's own parameters (config_alerts.c), relative to CFG_P_FIRST. */
enum {
    AL_R10_RESOLVE_H,
    AL_R10_P1,
    AL_R10_NOTE,
    AL_R10_LEVEL1,
    AL_R10_PRAISE = AL_R10_LEVEL1 + 5,
    AL_R10_COLOUR_MIN
};

/* ---- alert_data.c ---- */
/* The comment-scoring parameters of hall index `hall` (R10's, docs/alerts.md). */
void al_scoring_of(const cfg_t *cfg, int hall, lexicon_scoring *out);
/* Record a bad review / sensitive comment from an event (ingest); case moves update it. */
void al_data_on_event(alerts_t *a, const ev_event *ev);
/* Load records and daily figures from the store (start). */
void al_data_load(alerts_t *a);
/* Refresh today's figures from the state once per business minute (and on a new day);
 * write changed days every 10 s of real time, or now when force. */
void al_data_refresh(alerts_t *a, int64_t now_ms, int64_t real_ms, bool force);
/* Drop records and days older than kept (memory); delete old rows (store). */
void al_data_retention(alerts_t *a, int64_t now_ms);
void al_data_free(alerts_t *a);
al_review *al_data_review(alerts_t *a, const char *hall, const char *review);
json_t *al_data_review_json(const al_review *r, bool names);
/* The hall's per-hall figures (NULL when none). */
al_hallhist *al_data_hall(alerts_t *a, const char *hall);
/* Median service time (s) of biz `biz` of hall over its history, -1 when unknown. */
double al_data_median(alerts_t *a, const char *hall, const char *biz);
/* Review counts of hall over [date - days_back_to, date - days_back_from] (calendar days,
 * both ends inclusive; 0 = date itself). */
void al_data_reviews(alerts_t *a, const char *hall, int date, int from_back, int to_back,
                     int64_t *n, int64_t *good);

#endif
