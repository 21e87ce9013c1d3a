/* fuzz_evscan: libFuzzer target, differential: whatever evscan takes (common/evscan.c, the
 * hub's ingest scan) jansson must read the same way -- json_loadb with no flags, as the hub
 * falls back to -- with the same number of elements, and ev_parse_view on each scanned element
 * must accept or refuse it exactly as ev_parse on jansson's, with the same message. A
 * difference aborts (a finding). The config is the demo city. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "event.h"
#include "evscan.h"
#include "fuzz_util.h"

static cfg_t *fuzz_cfg;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_cfg = fuzz_load_city("fuzz_evscan");
    return 0;
}

static void differ(const char *what, const uint8_t *data, size_t size)
{
    fprintf(stderr, "fuzz_evscan: %s for %.*s\n", what, (int)(size < 400 ? size : 400),
            (const char *)data);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    evscan *s = evscan_array((const char *)data, size);
    if (!s) return 0;
    json_t *root = json_loadb((const char *)data, size, 0, NULL);
    if (!json_is_array(root)) differ("evscan took what jansson refuses", data, size);
    if (json_array_size(root) != evscan_count(s)) differ("element counts differ", data, size);
    for (size_t i = 0; i < evscan_count(s); i++) {
        ev_event a, b;
        char ea[256], eb[256];
        int ra = ev_parse(fuzz_cfg, json_array_get(root, i), &a, ea, sizeof ea);
        int rb = ev_parse_view(fuzz_cfg, evscan_event(s, i), &b, eb, sizeof eb);
        if (ra != rb || strcmp(ea, eb) != 0) differ("ev_parse differs", data, size);
        if (ra == 0 && (a.seq != b.seq || a.at_ms != b.at_ms || a.type != b.type ||
                        strcmp(a.feed, b.feed) != 0 || (a.ticket == NULL) != (b.ticket == NULL)))
            differ("events differ", data, size);
    }
    json_decref(root);
    evscan_free(s);
    return 0;
}
