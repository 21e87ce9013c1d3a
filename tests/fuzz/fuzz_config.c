/* fuzz_config: libFuzzer target for the YAML config loader and validator (common/config*.c,
 * libfyaml): each input is written to a temp file and loaded with cfg_load. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"

static char fuzz_path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!fuzz_path[0])
        snprintf(fuzz_path, sizeof(fuzz_path), "/tmp/cw-fuzz-config-%d.yaml", (int)getpid());
    FILE *f = fopen(fuzz_path, "wb");
    if (!f) return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    char *errors = NULL;
    cfg_t *cfg = cfg_load(fuzz_path, &errors);
    cfg_free(cfg);
    free(errors);
    return 0;
}
