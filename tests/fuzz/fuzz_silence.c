/* fuzz_silence: libFuzzer target for the bounds on silence matcher regular expressions
 * (server/silence_regex.c).
 *
 * Input: a pattern (cut at SILRE_MAX_LEN + 8 bytes; the rest, if any, is a label value to
 * match). Every pattern the bounds accept is compiled as alert_silence.c does ("^(...)$",
 * POSIX extended) and run against the value: libFuzzer's -timeout and -rss_limit_mb (see
 * scripts/fuzz) turn a pattern that is accepted but still costly into a finding. Besides the
 * sanitizers the target aborts when a refusal has no message or one that is not valid UTF-8,
 * or when a pattern longer than SILRE_MAX_LEN is accepted. */
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "silence_regex.h"

static void check(bool ok, const char *what)
{
    fuzz_check("fuzz_silence", ok, what);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t plen = size < SILRE_MAX_LEN + 8 ? size : SILRE_MAX_LEN + 8;
    char *pat = malloc(plen + 1), *val = malloc(size - plen + 1);
    if (!pat || !val) goto out;
    memcpy(pat, data, plen);
    pat[plen] = 0;
    memcpy(val, data + plen, size - plen);
    val[size - plen] = 0;
    char err[200] = "";
    if (silre_check(pat, err, sizeof err) < 0) {
        check(err[0] && fuzz_json_text(err), "refusal message is valid UTF-8");
        goto out;
    }
    check(strlen(pat) <= SILRE_MAX_LEN, "long pattern refused");
    char *re = malloc(strlen(pat) + 5);
    if (!re) goto out;
    sprintf(re, "^(%s)$", pat);
    regex_t rx;
    if (regcomp(&rx, re, REG_EXTENDED | REG_NOSUB) == 0) {
        (void)regexec(&rx, val, 0, NULL, 0);
        regfree(&rx);
    }
    free(re);
out:
    free(pat);
    free(val);
    return 0;
}
