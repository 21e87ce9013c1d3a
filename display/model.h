/* model: the wall's picture of the city, kept by the render thread -- the live documents
 * handed over by hubclient, the hall registry, the business clock, the day's per-minute trend
 * and the derived lists panels draw from (halls, cameras, sorted alerts).
 *
 * The model keeps the last state it received: when the hub is unreachable nothing is
 * cleared, only `connected` turns false (panels then show STALE with the age of their data).
 *
 * Thread: render thread only.
 */
#ifndef CW_MODEL_H
#define CW_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "cwtime.h"
#include "hubclient.h"
#include "wallstate.h"

#define MODEL_MAX_HALLS 64
#define MODEL_MAX_CAMS 1024
#define MODEL_MAX_ALERTS 256
#define MODEL_MINUTES 1440

enum model_status {
    MODEL_ST_UNKNOWN,
    MODEL_ST_OK,
    MODEL_ST_CLOSED,
    MODEL_ST_WARN,
    MODEL_ST_ALERT,
    MODEL_ST_OFFLINE,
    MODEL_ST_COUNT
};

enum model_cam_status {
    MODEL_CAM_UNKNOWN,
    MODEL_CAM_ONLINE,
    MODEL_CAM_OFFLINE,
    MODEL_CAM_NO_FRAME
};

typedef struct model_hall {
    char id[16];
    char name[128];      /* 临海市行政服务中心 */
    char short_name[64]; /* 市行政服务中心, 古城街道 */
    char level[16];
    double lat, lng;
    bool located;          /* lat/lng known (registry) */
    int status;            /* enum model_status */
    json_t *kpi;           /* borrowed from the city document; NULL when absent */
    int64_t last_event_ms; /* business time of its last event; 0 unknown */
} model_hall;

typedef struct model_camera {
    char id[64];
    char name[96];
    char area[24];
    int hall;           /* index into halls */
    int status;         /* enum model_cam_status */
    char main_url[512]; /* "" when not announced */
    char sub_url[512];
} model_camera;

typedef struct model_alert {
    json_t *a; /* borrowed from the alerts document */
    const char *id;
    int sev;            /* 1..4 (P1..P4), 5 unknown */
    int hall;           /* index or -1 */
    int64_t started_ms; /* business ms; 0 unknown */
    int camera;         /* a camera it points at (window or camera scope), -1 none */
    bool silenced;
} model_alert;

typedef struct model {
    json_t *city, *alerts, *registry;
    json_t *wall_doc;       /* the wall/<id> topic (--wall), NULL otherwise */
    json_t *province;       /* the `province` topic (a province layout), NULL otherwise */
    int64_t province_rx_ms; /* real ms of its last message; 0 none */
    wallstate wall;         /* ... parsed */
    int64_t glass_ack_ms;   /* the earliest ingest ack (real ms) the state carries that no
                               presented frame has shown yet; 0 none (main.c measures it) */
    double glass_p50_ms;    /* event-to-glass of the recent changes shown; < 0 unknown */
    json_t *hall_docs;      /* object: hall id -> {name, status, cameras} */
    model_hall halls[MODEL_MAX_HALLS];
    int nhalls;
    model_camera cams[MODEL_MAX_CAMS];
    int ncams;
    model_alert alert_list[MODEL_MAX_ALERTS];
    int nalerts;

    bool connected, alerts_unavailable, ever_connected, auth_failed;
    int64_t city_rx_ms, alerts_rx_ms, halls_rx_ms, down_since_ms; /* real ms */
    int64_t known_ms; /* real ms the state was last known current (hub_update.known_ms) */
    uint64_t city_rev;
    int reconnects, failures;
    int snapshots, resumes; /* city snapshots and granted resumes (hub_update) */
    char error[256];
    bool clock_valid;
    cwt_clock clock;

    /* the day's trend: per minute of the business day */
    int day; /* yyyymmdd of the series, 0 none */
    int32_t waiting[MODEL_MINUTES], issued[MODEL_MINUTES];
    uint8_t have[MODEL_MINUTES];

    uint64_t version; /* bumps on every data change */
} model;

void model_init(model *m);
void model_free(model *m);

/* Take what hubclient handed over (the references in u are consumed and cleared). Returns
 * true when the picture changed. */
bool model_apply(model *m, hub_update *u);

/* Business now (ms): the hub's clock as estimated, else the real time. */
int64_t model_now(const model *m);

/* Record the city's current waiting / issued in the trend's current minute. */
void model_sample_trend(model *m);

/* A status name from the hub ("ok", "alert", ...) as enum model_status. */
int model_status_parse(const char *s);
const char *model_status_name(int st);

/* The KPI `key` of the city (hall < 0) or a hall; false when absent. */
bool model_kpi(const model *m, int hall, const char *key, double *out);

/* The one count of halls per status (enum model_status) that every surface shows: the
 * header's summary and the map legend. counts[MODEL_ST_COUNT] sums to nhalls. */
void model_hall_counts(const model *m, int counts[MODEL_ST_COUNT]);
/* The one count of the listed alerts (alert_list, all nalerts of them) that every surface
 * shows: by_sev[1..4] the active ones per severity (by_sev[5] unknown severity), *muted the
 * silenced or inhibited ones (listed dimmed, last). by_sev[1..5] + *muted == nalerts. */
void model_alert_counts(const model *m, int by_sev[6], int *muted);

int model_hall_index(const model *m, const char *id);

/* The province topic's cities (docs/cluster.md), in the document's order: their number, and
 * city i's id and name (NULL when i is out of range). */
int model_province_ncities(const model *m);
const char *model_province_city(const model *m, int i, const char **name);
/* The KPI `key` of city i of the province topic, or province-wide (i < 0); false when
 * absent. */
bool model_province_kpi(const model *m, int i, const char *key, double *out);
/* The province hub's R16 (城市数据中断, docs/alerts.md) fires for city `id`: its figures are as
 * old as the last of its data that reached the province. */
bool model_city_silent(const model *m, const char *id);

/* 数据中断: a hall that should be sending (open: its status is not closed or unknown) whose
 * last event (heartbeats included, `last_event_at`) is older than MODEL_SILENT_MS of business
 * time at now_ms (the hub's R15 default). *age_ms gets that age. Only the age counts: a hall
 * whose R15 still fires (keep_firing_for) after its data came back is offline on the map but
 * its data is fresh. A hall that never sent anything has no age: false. */
#define MODEL_SILENT_MS (5 * 60 * 1000)
bool model_hall_silent(const model *m, int hall, int64_t now_ms, int64_t *age_ms);
/* "数据中断 12分钟" / "no data 12 min" for a silent hall into out; false (out "") otherwise. */
bool model_silent_label(const model *m, int hall, int64_t now_ms, bool en, char *out, size_t n);
int model_camera_index(const model *m, const char *id);

/* A hall name without its 便民服务中心 / 行政服务中心 suffix (市行政服务中心 for the city
 * centre). out holds n bytes. */
void model_short_name(const char *name, const char *level, char *out, size_t n);

#endif
