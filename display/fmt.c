/* fmt: how the wall writes numbers, waits, rates and ages (see fmt.h). */
#include "fmt.h"

#include <stdbool.h>

#include "cwfmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cwfmt_lang lang = CWFMT_ZH; /* render thread */

void fmt_set_english(bool en)
{
    lang = en ? CWFMT_EN : CWFMT_ZH;
}

void fmt_count(double v, char *out, size_t n)
{
    long long x = llround(v);
    if (llabs(x) < 10000) {
        snprintf(out, n, "%lld", x);
        return;
    }
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%lld", llabs(x));
    size_t len = strlen(tmp), o = 0;
    char buf[48];
    if (x < 0) buf[o++] = '-';
    for (size_t i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0) buf[o++] = ',';
        buf[o++] = tmp[i];
    }
    buf[o] = 0;
    snprintf(out, n, "%s", buf);
}

void fmt_wait(double seconds, char *val, size_t n, const char **unit)
{
    cwfmt_duration(seconds, lang, val, n);
    *unit = "";
}

void fmt_rate(double r, char *val, size_t n)
{
    double p = r * 100.0;
    if (p >= 99.95 && r < 1.0) p = 99.9; /* never show 100.0 for less than all */
    snprintf(val, n, "%.1f", p);
}

void fmt_ago(int64_t ms, char *out, size_t n)
{
    if (ms < 0) ms = 0;
    int64_t s = ms / 1000;
    if (lang == CWFMT_EN) {
        if (s < 60)
            snprintf(out, n, "%lld s ago", (long long)s);
        else if (s < 3600)
            snprintf(out, n, "%lld min ago", (long long)(s / 60));
        else if (s < 86400)
            snprintf(out, n, "%lld h ago", (long long)(s / 3600));
        else
            snprintf(out, n, "%lld d ago", (long long)(s / 86400));
        return;
    }
    if (s < 60)
        snprintf(out, n, "%lld秒前", (long long)s);
    else if (s < 3600)
        snprintf(out, n, "%lld分钟前", (long long)(s / 60));
    else if (s < 86400)
        snprintf(out, n, "%lld小时前", (long long)(s / 3600));
    else
        snprintf(out, n, "%lld天前", (long long)(s / 86400));
}

void fmt_duration(int64_t ms, char *out, size_t n)
{
    cwfmt_duration(ms < 0 ? 0 : (double)(ms / 1000), lang, out, n);
}
