/* fuzz_live: libFuzzer target for the /live client message parser (server/live_msg.c). Each
 * input is one text frame, parsed as the hub does against the demo city ($CW_FUZZ_CONFIG or
 * CW_SOURCE_DIR/config/demo.yaml); the input as a NUL-terminated string is also tried as a
 * topic name. Besides the sanitizers, the target aborts when a result breaks the parser's
 * contract: an error without a message or with one that is not valid UTF-8 (the hub could not
 * send it), a topic resolved to another hall, max_hz out of range. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz_util.h"
#include "live_msg.h"

static cfg_t *fuzz_cfg;

static void check(bool ok, const char *what)
{
    fuzz_check("fuzz_live", ok, what);
}

static void check_topic(const livemsg_topic *t)
{
    char m[160];
    int kind, hall;
    if (t->kind == LIVEMSG_NOTOPIC) {
        check(t->hall == -1, "unknown topic with a hall");
        check(!t->name || livemsg_topic_parse(fuzz_cfg, t->name, &kind, &hall) < 0,
              "topic marked unknown but parses");
        livemsg_topic_error(t, m, sizeof(m));
        check(strncmp(m, "unknown topic '", 15) == 0 && fuzz_json_text(m), "unknown_topic message");
        return;
    }
    check(t->name && strlen(t->name) <= LIVEMSG_TOPIC_MAX, "known topic name");
    if (t->kind == LIVEMSG_HALL) {
        check(t->hall >= 0 && t->hall < fuzz_cfg->nhalls, "hall index in range");
        check(strncmp(t->name, "hall/", 5) == 0 &&
                  strcmp(t->name + 5, fuzz_cfg->halls[t->hall].id) == 0,
              "hall topic names its hall");
    } else {
        check(t->hall == -1, "city/alerts topic with a hall");
        check(strcmp(t->name, t->kind == LIVEMSG_CITY ? "city" : "alerts") == 0,
              "city/alerts topic name");
    }
    livemsg_format(m, sizeof(m), "topic '%s' is not visible to %s", t->name, "token:wall-1");
    check(fuzz_json_text(m), "forbidden message");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_cfg = fuzz_load_city("fuzz_live");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    livemsg m;
    int rc = livemsg_parse(fuzz_cfg, (const char *)data, size, &m);
    check((rc == 0) == (m.code == NULL), "rc agrees with code");
    if (m.code) check(m.message[0] && fuzz_json_text(m.message), "error message is valid UTF-8");
    check(m.op != LIVEMSG_INVALID || m.code, "invalid message without an error");
    check(m.op != LIVEMSG_UNKNOWN || m.code, "unknown op without an error");
    check(m.max_hz >= 0 && m.max_hz <= LIVEMSG_MAX_HZ, "max_hz range");
    check(!m.has_since || m.since_epoch, "since without epoch");
    check(m.op != LIVEMSG_REPORT || m.json, "report without its JSON");
    for (size_t i = 0; i < m.ntopics; i++)
        check_topic(&m.topics[i]);
    livemsg_free(&m);

    char *name = malloc(size + 1);
    if (!name) return 0;
    memcpy(name, data, size);
    name[size] = 0;
    livemsg_topic t = {.name = name};
    if (livemsg_topic_parse(fuzz_cfg, name, &t.kind, &t.hall) < 0) t.kind = LIVEMSG_NOTOPIC;
    check_topic(&t);
    char out[200];
    livemsg_format(out, sizeof(out), "%s", name);
    check(fuzz_json_text(out), "livemsg_format output is valid UTF-8");
    free(name);
    return 0;
}
