/* causeway_staleness: a write-then-read staleness checker (see README.md).
 *
 * main prepares the table (--setup) and a run id whose rows do not exist yet, runs one
 * thread per session (worker.c), then prints one summary line, optionally as JSON too,
 * and exits 0 (clean), 1 (stale reads), 2 (errors) or 3 (bad usage). */
#define _GNU_SOURCE
#include "staleness.h"

#include <math.h>
#include <mysql.h>
#include <mysqld_error.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct totals {
    long writes;
    long reads;
    long stale;
    long errors;
    long no_token;
    struct st_latencies read_lat;
    struct st_latencies write_lat;
    double duration_s;
};

static const char *mode_name(enum st_mode m)
{
    return m == ST_MODE_INSERT ? "insert" : m == ST_MODE_UPDATE ? "update" : "mixed";
}

/* ------------------------------------------------------------------ preparation */

static MYSQL *control_connect(const struct st_config *c, const struct st_endpoint *ep)
{
    MYSQL *db = mysql_init(NULL);
    if (db == NULL) {
        fprintf(stderr, "staleness: error: mysql_init: out of memory\n");
        return NULL;
    }
    unsigned timeout = c->timeout_s;
    mysql_options(db, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
    mysql_options(db, MYSQL_OPT_READ_TIMEOUT, &timeout);
    mysql_options(db, MYSQL_OPT_WRITE_TIMEOUT, &timeout);
    if (mysql_real_connect(db, ep->host, c->user, c->password, c->database, ep->port, NULL, 0) ==
        NULL) {
        fprintf(stderr, "staleness: error: connect to %s:%u: (%u) %s\n", ep->host, ep->port,
                mysql_errno(db), mysql_error(db));
        mysql_close(db);
        return NULL;
    }
    return db;
}

static bool control_query(MYSQL *db, const struct st_endpoint *ep, const char *sql, bool quiet)
{
    if (mysql_query(db, sql) != 0) {
        if (!quiet) {
            fprintf(stderr, "staleness: error: %s:%u: %s: (%u) %s\n", ep->host, ep->port, sql,
                    mysql_errno(db), mysql_error(db));
            if (mysql_errno(db) == ER_NO_SUCH_TABLE)
                fprintf(stderr, "staleness: create the table with --setup\n");
        }
        return false;
    }
    return true;
}

/* Rows already present for this run id: 0, or -1 on error. */
static long rows_of_run(MYSQL *db, const struct st_config *c)
{
    char sql[256];
    long lo = c->run_id * ST_MAX_SESSIONS;
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM `%s` WHERE session BETWEEN %ld AND %ld",
             c->table, lo, lo + ST_MAX_SESSIONS - 1);
    if (!control_query(db, &c->write_ep, sql, false))
        return -1;
    MYSQL_RES *res = mysql_store_result(db);
    MYSQL_ROW row = res != NULL ? mysql_fetch_row(res) : NULL;
    long n = row != NULL && row[0] != NULL ? strtol(row[0], NULL, 10) : -1;
    if (res != NULL)
        mysql_free_result(res);
    return n;
}

/* A new table may not have reached the read endpoint yet (a replica): wait a little so
 * that the first reads do not fail with "table doesn't exist". */
static void wait_table_readable(const struct st_config *c)
{
    MYSQL *db = control_connect(c, &c->read_ep);
    if (db == NULL)
        return;
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT 1 FROM `%s` LIMIT 0", c->table);
    double until = st_now() + c->timeout_s;
    while (!control_query(db, &c->read_ep, sql, true)) {
        if (st_now() >= until) {
            fprintf(stderr, "staleness: warning: table %s not readable on %s:%u after %us\n",
                    c->table, c->read_ep.host, c->read_ep.port, c->timeout_s);
            break;
        }
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    MYSQL_RES *res = mysql_store_result(db);
    if (res != NULL)
        mysql_free_result(res);
    mysql_close(db);
}

/* --setup, then a run id with no rows yet (a default one moves on; a given one fails). */
static bool prepare_table(struct st_config *c)
{
    MYSQL *db = control_connect(c, &c->write_ep);
    if (db == NULL)
        return false;
    bool ok = true;
    if (c->setup) {
        char sql[256];
        snprintf(sql, sizeof sql,
                 "CREATE TABLE IF NOT EXISTS `%s` (session INT, seq INT, val BIGINT, "
                 "PRIMARY KEY(session, seq)) ENGINE=InnoDB",
                 c->table);
        ok = control_query(db, &c->write_ep, sql, false);
    }
    for (int attempt = 0; ok; ++attempt) {
        long n = rows_of_run(db, c);
        if (n == 0)
            break;
        if (n < 0 || c->run_id_given || attempt >= 20) {
            if (n > 0)
                fprintf(stderr, "staleness: error: run id %ld already has %ld rows in %s; "
                        "use another --run-id\n", c->run_id, n, c->table);
            ok = false;
            break;
        }
        c->run_id = c->run_id % ST_MAX_RUN_ID + 1;
    }
    mysql_close(db);
    if (ok && c->setup)
        wait_table_readable(c);
    return ok;
}

/* ------------------------------------------------------------------ sessions */

static void run_sessions(const struct st_config *c, struct totals *t)
{
    struct st_shared shared;
    atomic_init(&shared.errors_printed, 0);
    atomic_init(&shared.stale_printed, 0);
    atomic_init(&shared.notes_printed, 0);
    struct st_session *sessions = calloc((size_t)c->sessions, sizeof *sessions);
    pthread_t *threads = calloc((size_t)c->sessions, sizeof *threads);
    bool *started = calloc((size_t)c->sessions, sizeof *started);
    if (sessions == NULL || threads == NULL || started == NULL) {
        fprintf(stderr, "staleness: error: out of memory\n");
        t->errors++;
        free(sessions), free(threads), free(started);
        return;
    }
    double t0 = st_now();
    for (int i = 0; i < c->sessions; ++i) {
        struct st_session *s = &sessions[i];
        s->cfg = c;
        s->shared = &shared;
        s->index = i;
        s->key = (int)(c->run_id * ST_MAX_SESSIONS + i);
        s->deadline = c->duration_s > 0 ? t0 + c->duration_s : 0;
        started[i] = pthread_create(&threads[i], NULL, st_session_main, s) == 0;
        if (!started[i]) {
            fprintf(stderr, "staleness: error: cannot start the thread of session %d\n", i);
            t->errors++;
        }
    }
    for (int i = 0; i < c->sessions; ++i) {
        if (!started[i])
            continue;
        pthread_join(threads[i], NULL);
        const struct st_session *s = &sessions[i];
        t->writes += s->writes;
        t->reads += s->reads;
        t->stale += s->stale;
        t->errors += s->errors;
        t->no_token += s->no_token;
        for (size_t k = 0; k < s->read_lat.n; ++k)
            st_latencies_push(&t->read_lat, s->read_lat.v[k]);
        for (size_t k = 0; k < s->write_lat.n; ++k)
            st_latencies_push(&t->write_lat, s->write_lat.v[k]);
        free(s->read_lat.v);
        free(s->write_lat.v);
    }
    t->duration_s = st_now() - t0;
    free(sessions), free(threads), free(started);
}

/* ------------------------------------------------------------------ summary */

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted values; 0 when there are none. */
static uint32_t percentile(const struct st_latencies *l, double p)
{
    if (l->n == 0)
        return 0;
    size_t rank = (size_t)ceil(p * (double)l->n);
    return l->v[rank == 0 ? 0 : rank - 1];
}

static int exit_status(const struct st_config *c, const struct totals *t)
{
    if (t->stale > 0 && !c->allow_stale)
        return 1;
    return t->errors > 0 ? 2 : 0;
}

static void print_summary(const struct st_config *c, const struct totals *t)
{
    printf("staleness: sessions=%d writes=%ld reads=%ld stale=%ld errors=%ld no_token=%ld "
           "read_p50_us=%u read_p99_us=%u write_p50_us=%u write_p99_us=%u duration_s=%.3f "
           "mode=%s run_id=%ld\n",
           c->sessions, t->writes, t->reads, t->stale, t->errors, t->no_token,
           percentile(&t->read_lat, 0.50), percentile(&t->read_lat, 0.99),
           percentile(&t->write_lat, 0.50), percentile(&t->write_lat, 0.99), t->duration_s,
           mode_name(c->mode), c->run_id);
    fflush(stdout);
}

static bool write_json(const struct st_config *c, const struct totals *t)
{
    FILE *f = fopen(c->json_path, "w");
    if (f == NULL) {
        perror(c->json_path);
        return false;
    }
    fprintf(f,
            "{\"sessions\": %d, \"writes\": %ld, \"reads\": %ld, \"stale\": %ld, \"errors\": %ld, "
            "\"no_token\": %ld, \"read_p50_us\": %u, \"read_p99_us\": %u, \"write_p50_us\": %u, "
            "\"write_p99_us\": %u, \"duration_s\": %.3f, \"mode\": \"%s\", \"run_id\": %ld, "
            "\"transactions\": %s, \"prepared\": %s, \"min_gtid_from_ok\": %s, "
            "\"allow_stale\": %s, \"exit_status\": %d}\n",
            c->sessions, t->writes, t->reads, t->stale, t->errors, t->no_token,
            percentile(&t->read_lat, 0.50), percentile(&t->read_lat, 0.99),
            percentile(&t->write_lat, 0.50), percentile(&t->write_lat, 0.99), t->duration_s,
            mode_name(c->mode), c->run_id, c->transactions ? "true" : "false",
            c->prepared ? "true" : "false", c->min_gtid_from_ok ? "true" : "false",
            c->allow_stale ? "true" : "false", exit_status(c, t));
    bool ok = !ferror(f);
    ok = fclose(f) == 0 && ok;
    if (!ok)
        perror(c->json_path);
    return ok;
}

int main(int argc, char **argv)
{
    struct st_config cfg;
    int parsed = st_parse_options(argc, argv, &cfg);
    if (parsed != 0)
        return parsed > 0 ? 0 : 3;
    if (mysql_library_init(0, NULL, NULL) != 0) {
        fprintf(stderr, "staleness: error: mysql_library_init failed\n");
        return 2;
    }
    struct totals t;
    memset(&t, 0, sizeof t);
    if (prepare_table(&cfg))
        run_sessions(&cfg, &t);
    else
        t.errors++;
    if (t.read_lat.n > 1)
        qsort(t.read_lat.v, t.read_lat.n, sizeof *t.read_lat.v, cmp_u32);
    if (t.write_lat.n > 1)
        qsort(t.write_lat.v, t.write_lat.n, sizeof *t.write_lat.v, cmp_u32);
    print_summary(&cfg, &t);
    if (cfg.json_path != NULL && !write_json(&cfg, &t))
        t.errors++;
    free(t.read_lat.v);
    free(t.write_lat.v);
    mysql_library_end();
    return exit_status(&cfg, &t);
}
