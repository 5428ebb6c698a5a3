/* causeway_staleness: shared types of the write-then-read staleness checker.
 *
 * options.c parses the command line into st_config, worker.c runs one session per
 * thread and fills its st_session, staleness.c prepares the table, starts the threads
 * and prints the summary. Nothing here is global: the config and the shared counters
 * are passed to every session explicitly. */
#ifndef CAUSEWAY_STALENESS_H
#define CAUSEWAY_STALENESS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum st_mode { ST_MODE_INSERT, ST_MODE_UPDATE, ST_MODE_MIXED };

/* Rows of one run have session = run_id * ST_MAX_SESSIONS + session index, so that the
 * fixed table layout (session INT, seq INT, val BIGINT) still separates runs. */
#define ST_MAX_SESSIONS 1000
#define ST_MAX_RUN_ID 2147482L /* run_id * 1000 + 999 still fits a signed INT */
#define ST_MAX_TABLE_NAME 64

struct st_endpoint {
    const char *host;
    unsigned port;
};

struct st_config {
    struct st_endpoint write_ep;
    struct st_endpoint read_ep;
    bool split; /* reads go to another endpoint: each session holds two connections */
    const char *user;
    const char *password;
    const char *database;
    char table[ST_MAX_TABLE_NAME + 1];
    int sessions;
    long iterations;   /* per session; -1 = until the duration ends */
    double duration_s; /* 0 = no time limit */
    unsigned timeout_s;
    bool setup;
    long run_id;
    bool run_id_given;
    enum st_mode mode;
    bool transactions;
    const char *hint; /* prepended to every read, NULL = none */
    bool prepared;
    long reconnect_every; /* 0 = never */
    bool min_gtid_from_ok;
    bool allow_stale;
    const char *json_path;
    int max_report; /* stale reads and errors printed in detail on stderr */
};

/* Counters shared by all sessions, only to limit how much goes to stderr. */
struct st_shared {
    atomic_int errors_printed;
    atomic_int stale_printed;
    atomic_int notes_printed;
};

/* Latencies in microseconds, grown as needed (a 60 s run at 10k ops/s is ~2.4 MB). */
struct st_latencies {
    uint32_t *v;
    size_t n;
    size_t cap;
};

struct st_session {
    const struct st_config *cfg;
    struct st_shared *shared;
    int index;
    int key; /* the value of the `session` column for this session's rows */
    double deadline; /* monotonic seconds; 0 = none */
    /* results */
    long writes;
    long reads;
    long stale;
    long errors;
    long no_token;
    struct st_latencies read_lat;
    struct st_latencies write_lat;
};

/* options.c: 0 = run, 1 = --help printed (exit 0), -1 = bad usage (message printed). */
int st_parse_options(int argc, char **argv, struct st_config *out);

/* worker.c: the pthread entry point; arg is a struct st_session *. */
void *st_session_main(void *arg);

/* Monotonic clock in seconds. */
double st_now(void);

bool st_latencies_push(struct st_latencies *l, uint32_t us);

#endif
