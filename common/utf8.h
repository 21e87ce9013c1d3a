/* utf8: the one UTF-8 decoder step the project shares (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF), and scrubbing text for an error message. */
#ifndef CW_UTF8_H
#define CW_UTF8_H

#include <stddef.h>

/* Length (1..4) of the valid UTF-8 sequence at s, which has `avail` bytes; 0 when s does not
 * start one (or it is cut short). */
size_t utf8_seq(const unsigned char *s, size_t avail);

/* Replace every byte of s (NUL-terminated) that does not belong to a valid sequence with '?',
 * in place: a message cut in the middle of a character, or quoting a client's bytes, stays
 * valid UTF-8 (jansson refuses to build a JSON string from anything else). */
void utf8_scrub(char *s);

#endif
