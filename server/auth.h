/* auth: who is asking (SPEC §8) -- hall and wall tokens, accounts, sessions, login.
 *
 * Thread: service thread, except the login worker thread that runs Argon2id verification
 * (crypto_pwhash_str_verify is deliberately slow: it never runs on the service thread).
 *
 * Sessions: a random 256-bit id sent as the cw_session cookie (HttpOnly, SameSite=Strict);
 * only its SHA-256 is kept, in memory and in the store, so sessions survive a restart.
 * They expire after cfg->session_idle_s without use and cfg->session_absolute_s after login.
 */
#ifndef CW_AUTH_H
#define CW_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "hub.h"

enum auth_kind { AUTH_NONE, AUTH_ACCOUNT, AUTH_TOKEN };

typedef struct auth_who {
    int kind;          /* enum auth_kind */
    int role;          /* enum cfg_role */
    const bool *halls; /* hall mask (per cfg hall); NULL = every hall */
    bool names;        /* may see staff names and review comments */
    char user[72];     /* account user, or "token:<name>" */
    int account;       /* index, or -1 */
    int token;         /* index, or -1 */
} auth_who;

typedef struct auth auth_t;

auth_t *auth_create(hub_t *hub);
void auth_destroy(auth_t *a);
/* The config was reloaded: rebuild per-account hall masks. */
void auth_reconfigure(auth_t *a);
/* Load stored sessions and failed-login counters (at start). */
int auth_load_sessions(auth_t *a);
/* Cluster mode: a session made, or ended, on another hub (by its id's SHA-256 hex); a login
 * failure count or lockout there. */
void auth_session_import(auth_t *a, const char *hash, const char *user, int64_t created_ms);
void auth_session_end(auth_t *a, const char *hash);
void auth_failure_import(auth_t *a, const char *user, const char *peer, int count,
                         int64_t locked_until_ms);

/* From "Bearer X": a wall token (read) or hall token (write); 0 on success. */
int auth_bearer(auth_t *a, const char *authorization, auth_who *out);
/* From a raw token string (the live `auth` op). */
int auth_token(auth_t *a, const char *token, auth_who *out);
/* From the Cookie header's cw_session; refreshes the idle timer. 0 on success. */
int auth_cookie(auth_t *a, const char *cookie_header, auth_who *out);
/* Re-resolve `who` after a config reload (hall masks, roles). */
void auth_refresh(auth_t *a, auth_who *who);
/* May `who` see hall index h? */
bool auth_may_see(const auth_who *who, int hall);

typedef struct auth_login_result auth_login_result;
/* Who answers a finished login: the protocol that took the request (service thread). r is
 * valid during the call only. */
typedef void (*auth_answer_fn)(hub_t *hub, const auth_login_result *r);

struct auth_login_result {
    uint64_t conn_id;
    bool ok;
    int status;       /* 200, 401, 429, 503 (the session could not be stored) */
    char cookie[128]; /* the session id to set when ok */
    char user[72];
    char role[16];
    auth_answer_fn answer;
    struct auth_login_result *next;
};

/* auth's tables in the store: sessions (by the hash of their id), login failures. */
extern const char auth_schema[];

/* Start an asynchronous login (the Argon2id check runs on the login thread). answer(hub, r)
 * gets the result with conn_id on the service thread: a failure at once, a success once its
 * session is durable (else status 503). peer is the client address (for the lockout). Returns
 * 0, or -1 with *status 429 when locked out. */
int auth_login_start(auth_t *a, const char *user, const char *password, const char *peer,
                     uint64_t conn_id, auth_answer_fn answer, int *status);
/* Service thread, on every wakeup: the finished logins' bookkeeping and answers. */
void auth_service(auth_t *a);

/* Drop the session named in the Cookie header. */
void auth_logout(auth_t *a, const char *cookie_header);

#endif
