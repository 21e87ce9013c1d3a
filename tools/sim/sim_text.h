/* sim_text: the Chinese texts the simulator puts into reviews and bad-review cases. */
#ifndef CW_SIM_TEXT_H
#define CW_SIM_TEXT_H

#include <stddef.h>

#include "sim_rng.h"

/* Write a review comment for `level` (1..5) into out (len bytes, NUL-terminated; 512 bytes
 * hold every text with a term and a phone number). `term`, when not
 * NULL, is worked into the comment (a sensitive-lexicon word of lexicon `category`, which
 * picks the wording; NULL category is fine); `phone`, when not NULL, is
 * appended as a call-back number. Returns 0, or -1 when this review has no comment (out is
 * then ""). Draws from r. */
int sim_text_comment(sim_rng *r, int level, const char *term, const char *category,
                     const char *phone, char *out, size_t len);

/* A note for a review.case event in state `state` (enum ev_case_state). Static string. */
const char *sim_text_case_note(sim_rng *r, int state);

/* A mobile number like "13857261234" into out (12 bytes at least). */
void sim_text_phone(sim_rng *r, char *out);

#endif
