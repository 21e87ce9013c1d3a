/* gw_config: the gateway's YAML configuration (docs/gateway.md): outbox, hubs, heartbeats,
 * the local listener, and the inputs with their mappings from vendor records to SPEC §3
 * events. Errors are "FILE:LINE: FIELD: problem" lines, like the hub's config.
 *
 * Ownership: gw_config_load returns a gw_cfg the caller frees with gw_config_free; every
 * string in it is owned by it. Read-only after loading (shared by every thread).
 */
#ifndef CW_GW_CONFIG_H
#define CW_GW_CONFIG_H

#include <stdbool.h>

#include "config.h"

typedef enum gw_vtype { GW_V_STRING, GW_V_INT, GW_V_BOOL } gw_vtype;

typedef struct gw_code {
    char *from, *to;
} gw_code;

/* How one output field is made: from a vendor field (dotted path into nested JSON) or a
 * constant; optional code table (the vendor's code -> the SPEC's value; a code not in the
 * table is a mapping error unless `default` is set); optional default when the field is
 * absent or empty. */
typedef struct gw_fmap {
    char *key;   /* output key: "hall", "type", "at" or a data field name */
    char *field; /* vendor field, or NULL for a constant */
    char *value; /* the constant */
    char *dflt;  /* value when the field is absent or empty (then never an error) */
    gw_vtype vtype;
    gw_code *codes;
    int ncodes;
    bool required; /* data fields: absent is an error (hall/type/at always are) */
    int line;
} gw_fmap;

typedef enum gw_atfmt { GW_AT_RFC3339, GW_AT_LOCAL, GW_AT_UNIX, GW_AT_UNIX_MS } gw_atfmt;

typedef struct gw_map {
    gw_fmap hall, type, at;
    gw_atfmt at_format;
    int tz_offset_min; /* for GW_AT_LOCAL */
    char *id_field;    /* vendor field that names a record in errors (optional) */
    gw_fmap *data;
    int ndata;
} gw_map;

typedef enum gw_kind { GW_IN_HTTP, GW_IN_ODBC, GW_IN_CSV, GW_IN_RTSP } gw_kind;

/* A camera an rtsp input probes: url is its main stream, sub (optional) its sub-stream (the
 * one probed when given: cheaper). Both are announced in camera.status. */
typedef struct gw_camera {
    char *id, *url, *sub;
} gw_camera;

typedef struct gw_input {
    char *name;
    gw_kind kind;
    char *feed;
    int line;
    gw_map map;
    /* http */
    char *path;      /* e.g. "/in/queue" */
    int dedupe_days; /* > 0: a record whose map.id was taken in that many days is a repeat */
    /* odbc */
    char *dsn;   /* ODBC connection string, e.g. "Driver=SQLite3;Database=/x.db" */
    char *table; /* table or view name */
    char *key;   /* increasing integer column */
    int poll_ms, batch;
    /* csv */
    char *dir, *done_dir, *suffix;
    char delimiter;
    /* rtsp (no map: it makes camera.status events itself) */
    char *hall;
    int every_s, timeout_ms;
    gw_camera *cameras;
    int ncameras;
} gw_input;

typedef struct gw_cfg {
    char *path;
    char *name;
    char *outbox;
    long long max_events, alarm_events;
    char *listen; /* "HOST:PORT" for webhooks and /status; NULL: none */
    int heartbeat_s;
    char *heartbeat_feed;
    char **halls; /* heartbeat halls */
    int nhalls;
    char **hub_urls;
    int nhub;
    char *token;
    int batch_events;
    int retry_max_ms;
    char *city_config; /* optional: validate events as the hub would */
    cfg_t *city;       /* loaded city_config, or NULL */
    gw_input *inputs;
    int ninputs;
} gw_cfg;

/* Load and validate path. NULL with *errors (malloc'd lines, caller frees) on failure. */
gw_cfg *gw_config_load(const char *path, char **errors);
void gw_config_free(gw_cfg *c);
const gw_input *gw_config_input(const gw_cfg *c, const char *name);

#endif
