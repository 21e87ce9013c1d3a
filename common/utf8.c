/* utf8: see utf8.h. */
#include "utf8.h"

#include <string.h>

size_t utf8_seq(const unsigned char *s, size_t avail)
{
    if (avail == 0) return 0;
    unsigned c = s[0];
    size_t n;
    unsigned lo = 0x80, hi = 0xBF;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4;
    else
        return 0;
    if (c == 0xE0)
        lo = 0xA0;
    else if (c == 0xED)
        hi = 0x9F; /* no surrogates */
    else if (c == 0xF0)
        lo = 0x90;
    else if (c == 0xF4)
        hi = 0x8F; /* up to U+10FFFF */
    if (avail < n || s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < n; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    return n;
}

void utf8_scrub(char *str)
{
    unsigned char *s = (unsigned char *)str;
    size_t left = strlen(str);
    while (left) {
        size_t k = utf8_seq(s, left);
        if (k) {
            s += k;
            left -= k;
        } else {
            *s++ = '?';
            left--;
        }
    }
}
