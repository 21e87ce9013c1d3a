/* config: the citywall YAML configuration (SPEC §9), loaded with libfyaml.
 *
 * cfg_load() parses and validates one YAML file into an immutable cfg_t. Every problem is
 * reported as "FILE:LINE: FIELD: problem" (one per line in *errors); a config with any error
 * is refused as a whole. A loaded cfg_t is never modified: a reload (SIGHUP) loads a new one
 * and swaps the pointer on the hub's service thread.
 *
 * Indexes: halls, biz types, windows and cameras are referred to by their index in the
 * arrays below everywhere in the hub; ids are only for the edges (JSON, SQL). A window's
 * `biz` and `cameras` hold indexes into its hall's `biz` and `cameras` arrays.
 *
 * Times of day are minutes since local midnight; a span [from, to) with from == to is empty.
 * Weekday index 0 = Monday .. 6 = Sunday. Dates are yyyymmdd integers (20261122).
 */
#ifndef CW_CONFIG_H
#define CW_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

enum cfg_level { CFG_LEVEL_CITY, CFG_LEVEL_COUNTY, CFG_LEVEL_TOWN, CFG_LEVEL_VILLAGE };
enum cfg_role { CFG_ROLE_ADMIN, CFG_ROLE_CITY, CFG_ROLE_HALL, CFG_ROLE_WALL };
enum cfg_area {
    CFG_AREA_WINDOW,
    CFG_AREA_WAITING,
    CFG_AREA_ENTRANCE,
    CFG_AREA_SELF_SERVICE,
    CFG_AREA_BACK_OFFICE
};

typedef struct cfg_span {
    int from_min, to_min;
} cfg_span;

/* Opening hours per weekday (0 = Monday): open span and lunch break inside it. */
typedef struct cfg_hours {
    cfg_span open[7];
    cfg_span lunch[7];
} cfg_hours;

/* Staffing plan entry: on the weekdays in days_mask (bit 0 = Monday), between from and to,
 * `windows` windows should be open. No entry covering a time: all windows (SPEC §2). */
typedef struct cfg_staffing {
    uint8_t days_mask;
    int from_min, to_min;
    int windows;
} cfg_staffing;

typedef struct cfg_biz {
    char *id; /* ticket prefix, e.g. "A" */
    char *name;
    char *category; /* one of cfg->city.categories[].id */
    int sla_s;      /* waiting SLA, default 1800 */
} cfg_biz;

typedef struct cfg_camera {
    char *id;
    char *name;
    int area;       /* enum cfg_area */
    char *main_url; /* may be NULL (announced by the gateway in camera.status) */
    char *sub_url;  /* may be NULL */
} cfg_camera;

typedef struct cfg_window {
    char *id;
    int *biz; /* indexes into hall->biz */
    int nbiz;
    int *cameras; /* indexes into hall->cameras */
    int ncameras;
} cfg_window;

typedef struct cfg_staff {
    char *id;   /* 工号 */
    char *name; /* personal data: shown only to roles that may see names */
} cfg_staff;

typedef struct cfg_hall {
    char *id;
    char *name;
    int level;        /* enum cfg_level */
    char *parent;     /* parent hall id or NULL */
    int parent_index; /* index of parent in cfg->halls, -1 if none */
    double lat, lng;  /* WGS-84 */
    int loc_line;     /* line of `location` in the file (for warnings) */
    cfg_hours hours;  /* the city's default hours unless the hall overrides them */
    cfg_biz *biz;
    int nbiz;
    cfg_window *windows;
    int nwindows;
    cfg_camera *cameras;
    int ncameras;
    cfg_staffing *staffing;
    int nstaffing;
    cfg_staff *staff;
    int nstaff;
} cfg_hall;

typedef struct cfg_category {
    char *id; /* e.g. "social-security" */
    char *name;
} cfg_category;

typedef struct cfg_calendar {
    int *holidays; /* sorted yyyymmdd: days off (法定节假日) */
    int nholidays;
    int *workdays; /* sorted yyyymmdd: make-up working days (调休上班) */
    int nworkdays;
} cfg_calendar;

/* The `stats` section (config_stats.c, docs/statistics.md): scorecard ranking and reports. */
enum cfg_rank_by { CFG_RANK_SCORE, CFG_RANK_GOOD_RATE, CFG_RANK_BAD_REVIEWS, CFG_RANK_SERVED };
typedef struct cfg_stats {
    int rank_by;          /* enum cfg_rank_by: what orders a ranking (score: mean level x 20) */
    int bottom_n;         /* the last N of a hall's monthly ranking are at the bottom, 2 */
    int bottom_months;    /* ... this many months in a row: listed for 约谈, 2 */
    int min_reviews;      /* fewer reviews in the month: not ranked by score/good_rate, 1 */
    char *reports_dir;    /* where the hub writes the city's daily report; NULL: not written */
    char *report_webhook; /* POSTed {"report","url"} when a daily report is written; NULL */
} cfg_stats;

typedef struct cfg_city {
    char *code; /* GB/T 2260, 6 digits */
    char *name;
    char *timezone; /* default "Asia/Shanghai" */
    cfg_hours hours;
    cfg_calendar calendar;
    cfg_category *categories;
    int ncategories;
    char *map;    /* city.map: the outline GeoJSON (path as resolved: absolute, or relative to
                   * the working directory); NULL when absent */
    int map_line; /* its line in the file */
} cfg_city;

typedef struct cfg_account {
    char *user;
    int role;     /* enum cfg_role */
    char *pwhash; /* Argon2id string as made by crypto_pwhash_str */
    int *halls;   /* role hall: hall indexes (subtrees already expanded) */
    int nhalls;
} cfg_account;

typedef struct cfg_token {
    char *name;
    uint8_t sha256[32]; /* SHA-256 of the token string */
    int role;           /* CFG_ROLE_HALL (writes events) or CFG_ROLE_WALL (reads) */
    bool all_halls;
    int *halls; /* when !all_halls */
    int nhalls;
} cfg_token;

typedef struct cfg_lexterm {
    char *term;     /* as written in the config */
    char *category; /* e.g. 人身安全 */
    int weight;     /* the term's own weight, else its category's */
    bool any_level; /* the category scores whatever the review's level (safety) */
    char **except;  /* phrases containing the term that do not count (e.g. 网上预约) */
    int nexcept;
} cfg_lexterm;

/* Alert rules (SPEC §6): R1..R15 and the hub's own H1..H4, in this order, then a province
 * hub's R16. */
enum cfg_rule {
    CFG_R1,
    CFG_R2,
    CFG_R3,
    CFG_R4,
    CFG_R5,
    CFG_R6,
    CFG_R7,
    CFG_R8,
    CFG_R9,
    CFG_R10,
    CFG_R11,
    CFG_R12,
    CFG_R13,
    CFG_R14,
    CFG_R15,
    CFG_H1,
    CFG_H2,
    CFG_H3,
    CFG_H4,
    CFG_R16, /* a province hub's silent city (docs/alerts.md; after H4: the others keep their
                numbers) */
    CFG_NRULES
};
#define CFG_RULE_NPARAMS 16
/* Parameters every rule has; the rule's own parameters follow from CFG_P_FIRST (see
 * cfg_rule_param_name). Durations are business seconds. */
enum { CFG_P_ENABLED, CFG_P_FOR_S, CFG_P_KEEP_S, CFG_P_FIRST };

/* Parameter values set at one level of the alerts section (bit p of `set`: v[p] given). */
typedef struct cfg_rule_params {
    uint32_t set;
    double v[CFG_RULE_NPARAMS];
} cfg_rule_params;

/* An override level: per biz type (hall -1), per hall (biz NULL) or per (hall, biz). */
typedef struct cfg_alert_scope {
    int hall;  /* hall index, -1 = every hall */
    char *biz; /* biz type id, NULL = every biz type */
    cfg_rule_params rules[CFG_NRULES];
} cfg_alert_scope;

/* Escalation (督办, docs/alerts.md): a firing alert not acknowledged within its policy's time
 * goes up one level -- hall (the webhooks) -> city -> leader -- and one severity. */
enum cfg_esc_unit { CFG_ESC_MINUTES, CFG_ESC_HOURS, CFG_ESC_DAYS };
#define CFG_ESC_LEVELS 3 /* hall, city, leader */
typedef struct cfg_esc_policy {
    int rule;      /* enum cfg_rule; -1 = any */
    int severity;  /* 1..4 (the alert's severity now); 0 = any */
    int unit;      /* enum cfg_esc_unit: working minutes, hours of working days, working days */
    double amount; /* > 0 */
} cfg_esc_policy;

/* Who is on duty (值班): for a hall, or for the city and leader escalation levels. */
#define CFG_DUTY_CITY (-1)
#define CFG_DUTY_LEADER (-2)
typedef struct cfg_duty {
    int hall;           /* hall index, or CFG_DUTY_CITY / CFG_DUTY_LEADER */
    char *id, *name;    /* required; names are personal data (shown like staff names) */
    char *role, *phone; /* optional (NULL) */
    cfg_span hours;     /* on duty between these minutes of the day; {0, 0} = always */
} cfg_duty;

/* Routing (docs/alerts.md "Routing"): named receivers with a message format, and an
 * Alertmanager-style route tree. */
enum cfg_rx_type { CFG_RX_ALERTMANAGER, CFG_RX_JSON, CFG_RX_DINGTALK, CFG_RX_WECOM, CFG_RX_FEISHU };
typedef struct cfg_receiver {
    char *name, *url;
    int type;                 /* enum cfg_rx_type */
    int quiet_from, quiet_to; /* quiet hours, minutes of the day (from > to: over midnight);
                                 equal: none */
} cfg_receiver;

/* group_by bits */
#define CFG_GB_HALL 1u
#define CFG_GB_RULE 2u
#define CFG_GB_SEVERITY 4u
typedef struct cfg_route {
    int parent;   /* index in cfg_alerts.routes; -1 for the root (index 0) */
    int receiver; /* index in cfg_alerts.receivers (inherited from the parent) */
    int m_hall;   /* match: hall index, rule, severity 1..4, hall level; -1 = any */
    int m_rule, m_severity, m_level;
    bool cont;           /* `continue`: later siblings may match too */
    unsigned group_by;   /* CFG_GB_* (inherited) */
    double group_wait_s; /* real seconds (inherited; root default alerts.group_wait_s) */
    double repeat_s;     /* real seconds between repeats of a firing group (4 h) */
} cfg_route;

typedef struct cfg_alerts {
    int group_wait_s;    /* webhook group wait, real seconds (10) */
    int startup_grace_s; /* real seconds after start without new R15 alerts (10) */
    char *external_url;  /* externalURL of webhook payloads; NULL = the hub's own origin */
    cfg_rule_params rules[CFG_NRULES]; /* city-wide settings */
    cfg_alert_scope *scopes;
    int nscopes;
    cfg_esc_policy *esc; /* first match wins */
    int nesc;
    char **esc_rx[CFG_ESC_LEVELS]; /* receivers of levels 1 (city) and 2 (leader); [0] unused */
    int nesc_rx[CFG_ESC_LEVELS];
    cfg_duty *duty; /* in config order */
    int nduty;
    cfg_receiver *receivers;
    int nreceivers;
    cfg_route *routes; /* depth-first, parents before children; none without `route` */
    int nroutes;
} cfg_alerts;

typedef struct cfg_limits {
    int max_batch_events;   /* 5000 */
    int64_t max_body_bytes; /* 4 MiB */
    int64_t max_ws_message; /* 1 MiB */
    int max_conns_per_addr; /* 256 */
    double ingest_rate;     /* events/s per token, 0 = unlimited */
    int login_attempts;     /* failed attempts before lockout, 5 */
    int login_lockout_s;    /* 300 */
    int64_t client_buffer;  /* 1 MiB per live client */
} cfg_limits;

/* The `cluster` section (config_cluster.c): several hubs of one city share one replicated
 * event log, a NATS JetStream stream (docs/cluster.md). Absent: the embedded single hub. */
typedef struct cfg_cluster {
    bool enabled;
    char **nats; /* server URLs, "nats://host:port" */
    int nnats;
    char *stream;  /* JetStream stream name, "CITYWALL" */
    char *subject; /* its subject, "citywall.log" */
    int replicas;  /* 3 */
    char
        *hub_id; /* this hub's name in the cluster (--hub-id overrides); NULL: the listen address */
    int ack_wait_ms; /* how long a batch may wait for the log before 503, 12000 */
    /* province mode: the stream also sources each city's stream across its leaf link (a
     * JetStream domain per city); the hub then applies every city's records */
    struct cfg_source {
        char *stream, *domain;
    } * sources;
    int nsources;
    /* the hubs' origins as browsers reach them ("http://10.0.0.1:8080"), this hub's included:
     * the dashboard moves its live connection between them, and their origins pass the Origin
     * rule (docs/cluster.md "Browsers"); empty: the page stays with the hub that served it */
    char **public_urls;
    int npublic_urls;
} cfg_cluster;

/* The `province` section (config_cluster.c): a province hub's cities and their halls (the
 * halls themselves are in `halls`). Absent: a city hub. */
typedef struct cfg_city_ref {
    char *id, *name;
    int *halls; /* hall indexes */
    int nhalls;
} cfg_city_ref;

typedef struct cfg_province {
    char *name; /* NULL: not a province hub */
    cfg_city_ref *cities;
    int ncities;
} cfg_province;
/* `walls:` (config_walls.c): a video wall driven by several hosts, its state decided by the
 * hub (server/wallctl.c) and published as the live topic wall/<id>. */
typedef struct cfg_wall_host {
    char *id;
    int x, y, w, h; /* the host's --viewport in the layout's canvas pixels */
} cfg_wall_host;

/* A scene for a while: an index into cfg_wall.scenes and its dwell (real seconds). */
typedef struct cfg_wall_item {
    int scene;
    int dwell_s;
} cfg_wall_item;

enum cfg_wall_days { CFG_WALL_ALL_DAYS, CFG_WALL_WORKDAYS, CFG_WALL_OFFDAYS };
/* A schedule entry: on those days (working days from the business calendar, 调休 included),
 * from..to (minutes of the business day), this playlist (one item: a fixed scene). */
typedef struct cfg_wall_sched {
    int days; /* enum cfg_wall_days */
    int from_min, to_min;
    cfg_wall_item *items;
    int nitems;
    int line;
} cfg_wall_sched;

typedef struct cfg_wall {
    char *id;
    char *name;   /* NULL: the id */
    char *layout; /* the layout file the hosts load (informational for the hub); may be NULL */
    cfg_wall_host *hosts;
    int nhosts;
    char **scenes; /* scene names; at least one ("overview" by default) */
    int nscenes;
    int tour_s;  /* real seconds per tour step (15) */
    int pin_s;   /* real seconds each of several pins holds the hero before the next (20) */
    int grace_s; /* real seconds a cleared alert keeps its pin (· 已恢复), 30 */
    int show_s;  /* real seconds an operator's unpinned "show" (or scene) holds (60) */
    cfg_wall_item *playlist; /* the scenes in turn when no schedule entry applies; may be empty */
    int nplaylist;
    cfg_wall_sched *sched; /* first match wins */
    int nsched;
} cfg_wall;

typedef struct cfg {
    char *path;       /* the file it was loaded from */
    char *listen;     /* "127.0.0.1:8080" */
    char *db_path;    /* relative paths are relative to the working directory */
    int db_cache_mib; /* sqlite page cache of each store connection (writer, reader), 64 */
    char **origins;   /* allowed browser origins; none = the hub's own */
    int norigins;
    char *tls_cert, *tls_key; /* NULL = plain */
    int tick_ms;              /* live tick, 50 */
    int retention_days;       /* raw events, 400 */
    int session_idle_s;       /* 8 h */
    int session_absolute_s;   /* 24 h */
    cfg_limits limits;
    cfg_city city;
    cfg_hall *halls;
    int nhalls;
    cfg_account *accounts;
    int naccounts;
    cfg_token *tokens;
    int ntokens;
    cfg_lexterm *lexicon;
    int nlexicon;
    char **webhooks;
    int nwebhooks;
    int case_contact_days; /* real-name 差评: contact within N working days, 1 */
    int case_rectify_days; /* every 差评: rectified within N working days, 15 */
    cfg_alerts alerts;     /* the `alerts` section (config_alerts.c) */
    cfg_stats stats;       /* the `stats` section (config_stats.c) */
    cfg_wall *walls;       /* the `walls` section (config_walls.c) */
    int nwalls;
    bool demo_credentials; /* a demo token or password is in use: the hub warns */
    cfg_cluster cluster;
    cfg_province province;
} cfg_t;

/* Load and validate FILE. On success returns a new cfg_t (free with cfg_free) and sets
 * *errors to NULL. On failure returns NULL and sets *errors to a malloc'd string of
 * "FILE:LINE: FIELD: problem" lines (caller frees). */
cfg_t *cfg_load(const char *path, char **errors);
void cfg_free(cfg_t *cfg);

/* What is valid but probably wrong, as "FILE:LINE: FIELD: warning: problem" lines (malloc'd,
 * caller frees; NULL when there is nothing to say): a hall whose location lies outside the
 * city outline of city.map (a typo in lat/lng puts a hall 1,100 km away), or a city.map that
 * cannot be read as GeoJSON. config_check.c. */
char *cfg_warnings(const cfg_t *cfg);

/* Lookups by id; -1 when unknown. */
int cfg_hall_index(const cfg_t *cfg, const char *id);
int cfg_wall_index(const cfg_t *cfg, const char *id);
int cfg_biz_index(const cfg_hall *hall, const char *id);
int cfg_window_index(const cfg_hall *hall, const char *id);
int cfg_camera_index(const cfg_hall *hall, const char *id);
int cfg_staff_index(const cfg_hall *hall, const char *id);
int cfg_account_index(const cfg_t *cfg, const char *user);
/* The token whose SHA-256 equals sha256(token), compared in constant time; -1 if none. */
int cfg_token_find(const cfg_t *cfg, const char *token);
bool cfg_token_may_write(const cfg_token *tok, int hall);

/* Calendar. date: yyyymmdd; weekday: 0 = Monday. A working day is a weekday that is not a
 * holiday, or a make-up working day (调休). */
bool cfg_is_workday(const cfg_t *cfg, int date, int weekday);
/* The hall's opening span for that date (empty span when closed all day). On make-up working
 * days the hours of Monday..Friday apply (the Monday entry). */
cfg_span cfg_hall_hours(const cfg_t *cfg, const cfg_hall *hall, int date, int weekday);
/* Open at minute-of-day `min` (inside the open span and outside lunch)? */
bool cfg_hall_open(const cfg_t *cfg, const cfg_hall *hall, int date, int weekday, int min);
/* Windows planned by the staffing plan at that moment: 0 when the hall is closed. */
int cfg_hall_planned(const cfg_t *cfg, const cfg_hall *hall, int date, int weekday, int min);

/* Alert rules: "R1".."R15", "H1".."H4" for a rule index, and back (-1 when unknown). */
const char *cfg_rule_name(int rule);
int cfg_rule_index(const char *name);
/* Name of parameter p of `rule` ("enabled", "for", "keep_firing_for", then the rule's own,
 * e.g. "p3_min" for R1); NULL past its last parameter. */
const char *cfg_rule_param_name(int rule, int p);
/* The built-in default of parameter p of `rule`. */
double cfg_rule_param_default(int rule, int p);
/* Parameter p of `rule` for hall index `hall` (-1: none) and biz type id `biz` (NULL: none):
 * the most specific setting among (hall, biz), hall, biz type, city, built-in default. */
double cfg_alert_param(const cfg_t *cfg, int rule, int hall, const char *biz, int p);

const char *cfg_level_name(int level);
const char *cfg_role_name(int role);
const char *cfg_area_name(int area);

#endif
