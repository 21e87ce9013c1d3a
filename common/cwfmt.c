/* cwfmt: durations with units for people (see cwfmt.h for the rule). */
#include "cwfmt.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* A truncated snprintf may end inside a UTF-8 sequence: drop the partial character. */
static char *utf8_trim(char *out, size_t n)
{
    size_t len = strlen(out);
    if (len + 1 < n) return out;
    size_t i = len;
    while (i > 0 && ((unsigned char)out[i - 1] & 0xC0) == 0x80)
        i--;
    if (i > 0 && ((unsigned char)out[i - 1] & 0x80)) {
        unsigned char lead = (unsigned char)out[i - 1];
        size_t want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
        if (len - (i - 1) < want) out[i - 1] = 0;
    }
    return out;
}

char *cwfmt_duration(double seconds, cwfmt_lang lang, char *out, size_t n)
{
    if (n == 0) return out;
    if (!isfinite(seconds)) {
        snprintf(out, n, "—");
        return out;
    }
    if (seconds > 1e15) seconds = 1e15; /* ~31 million years: keeps the cast defined */
    long long s = seconds <= 0 ? 0 : (long long)floor(seconds + 0.5);
    bool en = lang == CWFMT_EN;
    long long a, b;
    const char *ua, *ub;
    if (s < 60) {
        snprintf(out, n, en ? "%lld s" : "%lld秒", s);
        return utf8_trim(out, n);
    }
    if (s < 3600) {
        a = s / 60, b = s % 60;
        ua = en ? " min" : "分", ub = en ? " s" : "秒";
    } else if (s < 86400) {
        a = s / 3600, b = s % 3600 / 60;
        ua = en ? " h" : "小时", ub = en ? " min" : "分";
    } else {
        a = s / 86400, b = s % 86400 / 3600;
        ua = en ? " d" : "天", ub = en ? " h" : "小时";
    }
    if (b == 0)
        snprintf(out, n, "%lld%s", a, ua);
    else
        snprintf(out, n, en ? "%lld%s %lld%s" : "%lld%s%lld%s", a, ua, b, ub);
    return utf8_trim(out, n);
}
