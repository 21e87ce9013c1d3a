/* gw_map: one vendor record (a JSON object: a webhook body item, a CSV row, a SQL row) to one
 * SPEC §3 event by an input's mapping (gw_config.h), and the checks the hub would make
 * (ev_parse against the city config, when the gateway has one).
 *
 * A mapping error names the input, the record and the field:
 *   "input queue-hook: record 3 (id 1042): field action: unknown code 'ZZ' (for type)".
 * Thread: pure functions of their arguments.
 */
#ifndef CW_GW_MAP_H
#define CW_GW_MAP_H

#include <jansson.h>
#include <stddef.h>

#include "gw_config.h"

/* Map rec by in's mapping. Returns a new event object {"hall","feed","type","at","data"}
 * (no seq; caller decrefs), or NULL with the reason in err. ref names the record ("3",
 * "file.csv:12", "id 1042"); city may be NULL (then only the mapping itself is checked). */
json_t *gw_map_record(const gw_input *in, const cfg_t *city, json_t *rec, const char *ref,
                      char *err, size_t errlen);

/* A record reference for messages: ref plus the record's id field when the mapping names one,
 * into out. Returns out. */
const char *gw_map_ref(const gw_input *in, json_t *rec, const char *ref, char *out, size_t n);

/* The record's id (the mapping's `id` field) as text into out, or NULL when the mapping names
 * none or the record lacks it. */
const char *gw_map_id(const gw_input *in, json_t *rec, char *out, size_t n);

#endif
