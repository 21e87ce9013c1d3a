/* fuzz_util: what the libFuzzer targets share -- the demo city as their config, a contract
 * check that aborts (so libFuzzer keeps the input), and "is this valid JSON text". Header
 * only: each target is one translation unit built by scripts/fuzz. */
#ifndef CW_FUZZ_UTIL_H
#define CW_FUZZ_UTIL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"

#ifndef CW_SOURCE_DIR
#define CW_SOURCE_DIR "."
#endif

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The city: $CW_FUZZ_CONFIG or CW_SOURCE_DIR/config/demo.yaml; aborts when it does not load. */
static inline cfg_t *fuzz_load_city(const char *target)
{
    const char *path = getenv("CW_FUZZ_CONFIG");
    char *errors = NULL;
    cfg_t *cfg = cfg_load(path ? path : CW_SOURCE_DIR "/config/demo.yaml", &errors);
    if (!cfg) {
        fprintf(stderr, "%s: config: %s\n", target, errors ? errors : "?");
        abort();
    }
    free(errors);
    return cfg;
}

/* A broken contract is a finding: abort with what broke. */
static inline void fuzz_check(const char *target, bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "%s: contract broken: %s\n", target, what);
        abort();
    }
}

/* s can be a JSON string (valid UTF-8): what an error message sent to a client needs. */
static inline bool fuzz_json_text(const char *s)
{
    json_t *j = json_string(s);
    json_decref(j);
    return j != NULL;
}

#endif
