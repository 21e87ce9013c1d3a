/* fuzz_gateway: libFuzzer target for what a hall gateway takes from vendor systems
 * (tools/gateway): the first byte picks the input, the rest is a CSV file (gw_csv_parse, then
 * every row mapped by a CSV mapping) or a webhook body (JSON, every record mapped by a webhook
 * mapping with codes, types, nested fields and local times), checked against the demo city as
 * the hub would (ev_parse). Mapping errors are expected; crashes, leaks and UB are findings. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gw_config.h"
#include "gw_csv.h"
#include "gw_map.h"

static gw_cfg *cfg;

static const char yaml[] =
    "gateway: {outbox: /tmp/unused.db, city_config: " CW_SOURCE_DIR "/config/demo.yaml}\n"
    "hub: {urls: [http://127.0.0.1:1], token: t}\n"
    "inputs:\n"
    "  - name: q\n"
    "    kind: http\n"
    "    path: /q\n"
    "    map:\n"
    "      id: serialNo\n"
    "      hall: {field: hall, codes: {'1': LH-03, '2': LH-00}, default: LH-03}\n"
    "      type: {field: a, codes: {QH: ticket.issued, JH: ticket.called, PJ: "
    "review.submitted, C: camera.status}}\n"
    "      at: ts\n"
    "      at_format: local\n"
    "      data:\n"
    "        ticket: t.no\n"
    "        biz: {field: b, codes: {'01': A, '02': B}}\n"
    "        channel: {field: c, codes: {'1': kiosk, '2': evaluator}, default: kiosk}\n"
    "        priority: {value: normal}\n"
    "        window: w\n"
    "        level: {field: s, type: int}\n"
    "        real_name: {field: r, type: bool, default: '0'}\n"
    "        comment: m\n"
    "        review: id\n"
    "        camera: cam\n"
    "        status: st\n"
    "  - name: u\n"
    "    kind: csv\n"
    "    dir: /tmp\n"
    "    map:\n"
    "      hall: {value: LH-03}\n"
    "      type: {field: e, codes: {o: window.opened, p: window.paused, i: ticket.issued}}\n"
    "      at: t\n"
    "      at_format: unix\n"
    "      data:\n"
    "        window: w\n"
    "        staff: s\n"
    "        reason: r\n"
    "        ticket: k\n"
    "        biz: {value: A}\n"
    "        channel: {value: kiosk}\n"
    "        priority: {value: normal}\n";

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    char path[64];
    snprintf(path, sizeof path, "/tmp/cw-fuzz-gateway-%d.yaml", (int)getpid());
    FILE *f = fopen(path, "w");
    if (!f) abort();
    fputs(yaml, f);
    fclose(f);
    char *errors = NULL;
    cfg = gw_config_load(path, &errors);
    unlink(path);
    if (!cfg) {
        fprintf(stderr, "fuzz_gateway: %s\n", errors ? errors : "config");
        abort();
    }
    return 0;
}

static void map_all(const gw_input *in, json_t *recs)
{
    size_t i;
    json_t *rec;
    json_array_foreach(recs, i, rec)
    {
        char err[600], ref[200], id[200];
        gw_map_ref(in, rec, "1", ref, sizeof ref);
        gw_map_id(in, rec, id, sizeof id);
        json_t *ev = gw_map_record(in, cfg->city, rec, ref, err, sizeof err);
        if (ev) {
            char *s = json_dumps(ev, JSON_COMPACT);
            free(s);
        }
        json_decref(ev);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    if (data[0] & 1) {
        json_t *rows = gw_csv_parse(text, len, (data[0] & 2) ? ';' : ',');
        if (rows) map_all(gw_config_input(cfg, "u"), rows);
        json_decref(rows);
    } else {
        json_error_t je;
        json_t *doc = json_loadb(text, len, 0, &je);
        if (json_is_object(doc)) {
            json_t *a = json_array();
            json_array_append_new(a, doc);
            doc = a;
        }
        if (json_is_array(doc)) map_all(gw_config_input(cfg, "q"), doc);
        json_decref(doc);
    }
    return 0;
}
