/* fuzz_event: libFuzzer target for the event parser and validator (common/event.c) and the
 * ingest batch shape: the input is parsed as JSON (jansson, as the hub does); an array is a
 * batch and each element goes through ev_parse, anything else is one event. The config is the
 * demo city ($CW_FUZZ_CONFIG or CW_SOURCE_DIR/config/demo.yaml). */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "fuzz_util.h"
#include "event.h"

static cfg_t *fuzz_cfg;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_cfg = fuzz_load_city("fuzz_event");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *root = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (!root) return 0;
    char err[256];
    ev_event ev;
    if (json_is_array(root)) {
        size_t i;
        json_t *e;
        json_array_foreach(root, i, e) ev_parse(fuzz_cfg, e, &ev, err, sizeof(err));
    } else {
        ev_parse(fuzz_cfg, root, &ev, err, sizeof(err));
    }
    json_decref(root);
    return 0;
}
