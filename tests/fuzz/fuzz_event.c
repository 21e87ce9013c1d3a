/* fuzz_event: libFuzzer target for the event parser and validator (common/event.c) and the
 * ingest batch shape: the input is parsed as JSON (jansson, as the hub does); an array is a
 * batch and each element goes through ev_parse, anything else is one event. The config is the
 * demo city ($CW_FUZZ_CONFIG or CW_SOURCE_DIR/config/demo.yaml). */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "event.h"

#ifndef CW_SOURCE_DIR
#define CW_SOURCE_DIR "."
#endif

static cfg_t *fuzz_cfg;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *path = getenv("CW_FUZZ_CONFIG");
    char *errors = NULL;
    fuzz_cfg = cfg_load(path ? path : CW_SOURCE_DIR "/config/demo.yaml", &errors);
    if (!fuzz_cfg) {
        fprintf(stderr, "fuzz_event: config: %s\n", errors ? errors : "?");
        abort();
    }
    free(errors);
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
