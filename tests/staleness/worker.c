/* One session of causeway_staleness: a thread with its own connection(s) that writes a
 * row and reads it back at once, iteration after iteration.
 *
 * Every failure is counted and the session carries on (reconnecting if the connection
 * broke); a session gives up after MAX_FAILURES_IN_ROW failed iterations in a row, so a
 * dead endpoint ends the run instead of hanging it. */
#define _GNU_SOURCE
#include "staleness.h"

#include <errmsg.h>
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_FAILURES_IN_ROW 10
#define TOKEN_MAX 512

struct conn {
    MYSQL *db;
    const struct st_endpoint *ep;
    bool broken;         /* a client-side error: close before the next use */
    MYSQL_STMT *insert;  /* --prepared only */
    MYSQL_STMT *update;
    MYSQL_STMT *select;  /* the read without a min_gtid comment */
};

struct worker {
    struct st_session *s;
    const struct st_config *cfg;
    struct conn wc;       /* writes (and reads unless split) */
    struct conn rc_split; /* reads when the read endpoint differs */
    struct conn *rc;
    long iteration;
    bool seeded;         /* the seq=0 row that updates increment exists */
    long long applied;   /* updates known to have committed */
    long long attempted; /* updates sent, including those whose outcome is unknown */
    char token[TOKEN_MAX]; /* GTID of the last write; "" = none */
    int failures_in_row;
    char table[ST_MAX_TABLE_NAME + 3]; /* backquoted */
    char *sql; /* read statement buffer, sized for the hint and a token */
    size_t sql_cap;
};

double st_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

bool st_latencies_push(struct st_latencies *l, uint32_t us)
{
    if (l->n == l->cap) {
        size_t cap = l->cap != 0 ? l->cap * 2 : 1024;
        uint32_t *v = realloc(l->v, cap * sizeof *v);
        if (v == NULL)
            return false;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = us;
    return true;
}

static uint32_t micros(double from, double to)
{
    double us = (to - from) * 1e6;
    return us <= 0 ? 0 : us >= 4e9 ? UINT32_MAX : (uint32_t)us;
}

/* ------------------------------------------------------------------ reporting */

static void fail(struct worker *w, const char *what, const struct st_endpoint *ep, unsigned err,
                 const char *msg)
{
    w->s->errors++;
    if (atomic_fetch_add(&w->s->shared->errors_printed, 1) < w->cfg->max_report)
        fprintf(stderr, "staleness: error: session %d iteration %ld: %s on %s:%u: (%u) %s\n",
                w->s->index, w->iteration, what, ep->host, ep->port, err, msg);
}

/* Client-side errors (2000+: lost connection, timeout) leave the connection unusable. */
static void query_failed(struct worker *w, struct conn *c, const char *what, unsigned err,
                         const char *msg)
{
    fail(w, what, c->ep, err, msg);
    if (err == 0 || err >= CR_MIN_ERROR)
        c->broken = true;
}

static void db_failed(struct worker *w, struct conn *c, const char *what)
{
    query_failed(w, c, what, mysql_errno(c->db), mysql_error(c->db));
}

static void stmt_failed(struct worker *w, struct conn *c, MYSQL_STMT *st, const char *what)
{
    query_failed(w, c, what, mysql_stmt_errno(st), mysql_stmt_error(st));
}

static void note(struct worker *w, const char *msg)
{
    if (atomic_fetch_add(&w->s->shared->notes_printed, 1) < w->cfg->max_report)
        fprintf(stderr, "staleness: note: session %d: %s\n", w->s->index, msg);
}

static void report_stale(struct worker *w, long seq, const char *expected, bool found,
                         long long got)
{
    w->s->stale++;
    if (atomic_fetch_add(&w->s->shared->stale_printed, 1) >= w->cfg->max_report)
        return;
    char got_text[32] = "missing";
    if (found)
        snprintf(got_text, sizeof got_text, "%lld", got);
    fprintf(stderr,
            "staleness: STALE: session=%d key=%d seq=%ld expected=%s got=%s read_from=%s:%u "
            "token=%s\n",
            w->s->index, w->s->key, seq, expected, got_text, w->rc->ep->host, w->rc->ep->port,
            w->token[0] != '\0' ? w->token : "-");
}

/* ------------------------------------------------------------------ connections */

static void close_conn(struct conn *c)
{
    MYSQL_STMT **stmts[] = {&c->insert, &c->update, &c->select};
    for (size_t i = 0; i < sizeof stmts / sizeof stmts[0]; ++i) {
        if (*stmts[i] != NULL)
            mysql_stmt_close(*stmts[i]);
        *stmts[i] = NULL;
    }
    if (c->db != NULL)
        mysql_close(c->db);
    c->db = NULL;
    c->broken = false;
}

static void close_all(struct worker *w)
{
    close_conn(&w->wc);
    close_conn(&w->rc_split);
}

static bool simple_query(struct worker *w, struct conn *c, const char *sql, const char *what)
{
    if (mysql_real_query(c->db, sql, strlen(sql)) != 0) {
        db_failed(w, c, what);
        return false;
    }
    MYSQL_RES *res = mysql_store_result(c->db); /* none for these statements; drain anyway */
    if (res != NULL)
        mysql_free_result(res);
    return true;
}

/* MariaDB reports last_gtid through the system-variable tracker, MySQL through
 * session_track_gtids; ask for both, one of them is unknown to each server. */
static void enable_gtid_tracking(struct worker *w, struct conn *c)
{
    static const char mariadb[] =
        "SET SESSION session_track_system_variables = IF(@@session_track_system_variables = '', "
        "'last_gtid', CONCAT(@@session_track_system_variables, ',last_gtid'))";
    static const char mysql[] = "SET SESSION session_track_gtids = OWN_GTID";
    if (mysql_query(c->db, mariadb) == 0 || mysql_query(c->db, mysql) == 0)
        return;
    if (mysql_errno(c->db) >= CR_MIN_ERROR) {
        db_failed(w, c, "enable GTID tracking");
        return;
    }
    char msg[600];
    snprintf(msg, sizeof msg, "cannot enable GTID session tracking (%s); reads get no token",
             mysql_error(c->db));
    note(w, msg);
}

/* The read statement: [hint] SELECT ...; with a token, min_gtid joins the hint's causeway
 * comment, because the router only reads the first such comment. */
static void build_read_sql(struct worker *w, const char *token, long seq, bool placeholders)
{
    const char *hint = w->cfg->hint != NULL ? w->cfg->hint : "";
    int hint_len = (int)strlen(hint);
    char lead[TOKEN_MAX + 32] = ""; /* a comment of its own, before the hint */
    char tail[TOKEN_MAX + 32] = ""; /* the end of the hint's own comment */
    if (token[0] != '\0') {
        int end = hint_len;
        while (end > 0 && (hint[end - 1] == ' ' || hint[end - 1] == '\t'))
            --end;
        if (strstr(hint, "causeway:") != NULL && end >= 2 && hint[end - 2] == '*' &&
            hint[end - 1] == '/') {
            hint_len = end - 2;
            while (hint_len > 0 && hint[hint_len - 1] == ' ')
                --hint_len;
            snprintf(tail, sizeof tail, " min_gtid=%s */", token);
        } else {
            snprintf(lead, sizeof lead, "/* causeway: min_gtid=%s */ ", token);
        }
    }
    char where[96];
    if (placeholders)
        snprintf(where, sizeof where, "session = ? AND seq = ?");
    else
        snprintf(where, sizeof where, "session = %d AND seq = %ld", w->s->key, seq);
    snprintf(w->sql, w->sql_cap, "%s%.*s%s%sSELECT val FROM %s WHERE %s", lead, hint_len, hint,
             tail, hint_len > 0 || tail[0] != '\0' ? " " : "", w->table, where);
}

static MYSQL_STMT *prepare(struct worker *w, struct conn *c, const char *sql, const char *what)
{
    MYSQL_STMT *st = mysql_stmt_init(c->db);
    if (st == NULL) {
        db_failed(w, c, what);
        return NULL;
    }
    if (mysql_stmt_prepare(st, sql, strlen(sql)) != 0) {
        stmt_failed(w, c, st, what);
        mysql_stmt_close(st);
        return NULL;
    }
    return st;
}

static bool prepare_all(struct worker *w, struct conn *c)
{
    char sql[256];
    if (c == &w->wc) {
        snprintf(sql, sizeof sql, "INSERT INTO %s (session, seq, val) VALUES (?, ?, ?)", w->table);
        if ((c->insert = prepare(w, c, sql, "prepare insert")) == NULL)
            return false;
        snprintf(sql, sizeof sql, "UPDATE %s SET val = val + 1 WHERE session = ? AND seq = 0",
                 w->table);
        if ((c->update = prepare(w, c, sql, "prepare update")) == NULL)
            return false;
    }
    if (c == w->rc) {
        build_read_sql(w, "", 0, true); /* the cached read carries no token */
        if ((c->select = prepare(w, c, w->sql, "prepare select")) == NULL)
            return false;
    }
    return true;
}

static bool open_conn(struct worker *w, struct conn *c)
{
    const struct st_config *cfg = w->cfg;
    c->db = mysql_init(NULL);
    if (c->db == NULL) {
        fail(w, "mysql_init", c->ep, 0, "out of memory");
        return false;
    }
    unsigned timeout = cfg->timeout_s;
    mysql_options(c->db, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
    mysql_options(c->db, MYSQL_OPT_READ_TIMEOUT, &timeout);
    mysql_options(c->db, MYSQL_OPT_WRITE_TIMEOUT, &timeout);
    if (mysql_real_connect(c->db, c->ep->host, cfg->user, cfg->password, cfg->database,
                           c->ep->port, NULL, 0) == NULL) {
        query_failed(w, c, "connect", mysql_errno(c->db), mysql_error(c->db));
        close_conn(c);
        return false;
    }
    if (cfg->min_gtid_from_ok && c == &w->wc)
        enable_gtid_tracking(w, c);
    if (!c->broken && cfg->prepared && !prepare_all(w, c))
        c->broken = true; /* e.g. the table is missing: retried on the next iteration */
    if (c->broken) {
        close_conn(c);
        return false;
    }
    return true;
}

/* The seq=0 row of update and mixed modes; IGNORE so that a retry after a write of
 * unknown outcome does not fail. It is set-up, not a measured write. */
static bool seed(struct worker *w)
{
    char sql[200];
    snprintf(sql, sizeof sql, "INSERT IGNORE INTO %s (session, seq, val) VALUES (%d, 0, 0)",
             w->table, w->s->key);
    w->seeded = simple_query(w, &w->wc, sql, "seed row");
    return w->seeded;
}

static bool ensure_connected(struct worker *w)
{
    if (w->wc.db == NULL && !open_conn(w, &w->wc))
        return false;
    if (w->cfg->split && w->rc_split.db == NULL && !open_conn(w, &w->rc_split))
        return false;
    if (w->cfg->mode != ST_MODE_INSERT && !w->seeded && !seed(w))
        return false;
    return true;
}

/* ------------------------------------------------------------------ tokens */

static bool copy_token(char *out, const char *data, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; ++i) {
        char ch = data[i];
        if (ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t')
            continue;
        bool ok = (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  ch == ':' || ch == ',' || ch == '-';
        if (!ok || n + 1 >= TOKEN_MAX)
            return false; /* never paste anything else into a comment */
        out[n++] = ch;
    }
    out[n] = '\0';
    return n > 0;
}

/* The GTID of the write just finished, from the last OK packet's session-state info. */
static bool take_token(MYSQL *db, char *out)
{
    const char *data;
    size_t len;
    enum enum_session_state_type vars = SESSION_TRACK_SYSTEM_VARIABLES;
    if (mysql_session_track_get_first(db, vars, &data, &len) == 0) {
        do { /* name, then value */
            const char *name = data;
            size_t name_len = len;
            if (mysql_session_track_get_next(db, vars, &data, &len) != 0)
                break;
            if (name_len == 9 && memcmp(name, "last_gtid", 9) == 0 && copy_token(out, data, len))
                return true;
        } while (mysql_session_track_get_next(db, vars, &data, &len) == 0);
    }
    if (mysql_session_track_get_first(db, SESSION_TRACK_GTIDS, &data, &len) == 0) {
        /* MySQL sends <encoding spec 0><lenenc string>; skip both if they are there. */
        const unsigned char *u = (const unsigned char *)data;
        if (len >= 2 && u[0] == 0 && u[1] < 0xfb && (size_t)u[1] + 2 == len)
            return copy_token(out, data + 2, len - 2);
        return copy_token(out, data, len);
    }
    return false;
}

/* ------------------------------------------------------------------ statements */

static bool exec_write_text(struct worker *w, bool insert, long seq, long long val,
                            unsigned long long *affected)
{
    char sql[256];
    if (insert)
        snprintf(sql, sizeof sql, "INSERT INTO %s (session, seq, val) VALUES (%d, %ld, %lld)",
                 w->table, w->s->key, seq, val);
    else
        snprintf(sql, sizeof sql, "UPDATE %s SET val = val + 1 WHERE session = %d AND seq = 0",
                 w->table, w->s->key);
    if (mysql_real_query(w->wc.db, sql, strlen(sql)) != 0) {
        db_failed(w, &w->wc, insert ? "insert" : "update");
        return false;
    }
    *affected = mysql_affected_rows(w->wc.db);
    return true;
}

static bool exec_write_prepared(struct worker *w, bool insert, long seq, long long val,
                                unsigned long long *affected)
{
    MYSQL_STMT *st = insert ? w->wc.insert : w->wc.update;
    int key = w->s->key;
    int seq_i = (int)seq;
    MYSQL_BIND b[3];
    memset(b, 0, sizeof b);
    b[0].buffer_type = MYSQL_TYPE_LONG;
    b[0].buffer = &key;
    b[1].buffer_type = MYSQL_TYPE_LONG;
    b[1].buffer = &seq_i;
    b[2].buffer_type = MYSQL_TYPE_LONGLONG;
    b[2].buffer = &val;
    if (mysql_stmt_bind_param(st, b) != 0 || mysql_stmt_execute(st) != 0) {
        stmt_failed(w, &w->wc, st, insert ? "insert (prepared)" : "update (prepared)");
        return false;
    }
    *affected = mysql_stmt_affected_rows(st);
    return true;
}

/* BEGIN?, the write, COMMIT?; true if it is known to have committed one row. Takes the
 * token from the last OK (the COMMIT's in a transaction: the GTID exists only then). */
static bool run_write(struct worker *w, bool insert, long seq, long long val)
{
    const struct st_config *cfg = w->cfg;
    struct conn *c = &w->wc;
    double t0 = st_now();
    if (cfg->transactions && !simple_query(w, c, "BEGIN", "begin"))
        return false;
    unsigned long long affected = 0;
    bool ok = cfg->prepared ? exec_write_prepared(w, insert, seq, val, &affected)
                            : exec_write_text(w, insert, seq, val, &affected);
    if (!ok) {
        if (cfg->transactions && !c->broken)
            mysql_query(c->db, "ROLLBACK");
        return false;
    }
    if (cfg->transactions && !simple_query(w, c, "COMMIT", "commit"))
        return false;
    double t1 = st_now();
    w->s->writes++;
    st_latencies_push(&w->s->write_lat, micros(t0, t1));
    if (cfg->min_gtid_from_ok && !take_token(c->db, w->token)) {
        w->token[0] = '\0'; /* an older GTID would not cover this write */
        w->s->no_token++;
    }
    if (affected != 1) {
        char msg[64];
        snprintf(msg, sizeof msg, "affected %llu rows, expected 1", affected);
        fail(w, insert ? "insert" : "update", c->ep, 0, msg);
        return false;
    }
    return true;
}

static bool read_text(struct worker *w, long seq, bool *found, long long *val)
{
    struct conn *c = w->rc;
    build_read_sql(w, w->token, seq, false);
    if (mysql_real_query(c->db, w->sql, strlen(w->sql)) != 0) {
        db_failed(w, c, "select");
        return false;
    }
    MYSQL_RES *res = mysql_store_result(c->db);
    if (res == NULL) {
        if (mysql_errno(c->db) != 0)
            db_failed(w, c, "select");
        else
            fail(w, "select", c->ep, 0, "no result set");
        return false;
    }
    MYSQL_ROW row = mysql_fetch_row(res);
    *found = row != NULL && row[0] != NULL;
    if (*found)
        *val = strtoll(row[0], NULL, 10);
    mysql_free_result(res);
    return true;
}

static bool read_stmt(struct worker *w, MYSQL_STMT *st, long seq, bool *found, long long *val)
{
    struct conn *c = w->rc;
    int key = w->s->key;
    int seq_i = (int)seq;
    long long out = 0;
    my_bool is_null = 0;
    MYSQL_BIND p[2], r[1];
    memset(p, 0, sizeof p);
    memset(r, 0, sizeof r);
    p[0].buffer_type = MYSQL_TYPE_LONG;
    p[0].buffer = &key;
    p[1].buffer_type = MYSQL_TYPE_LONG;
    p[1].buffer = &seq_i;
    r[0].buffer_type = MYSQL_TYPE_LONGLONG;
    r[0].buffer = &out;
    r[0].is_null = &is_null;
    if (mysql_stmt_bind_param(st, p) != 0 || mysql_stmt_execute(st) != 0 ||
        mysql_stmt_bind_result(st, r) != 0) {
        stmt_failed(w, c, st, "select (prepared)");
        return false;
    }
    int rc = mysql_stmt_fetch(st);
    bool ok = rc == 0 || rc == MYSQL_NO_DATA;
    if (!ok)
        stmt_failed(w, c, st, "fetch (prepared)");
    *found = rc == 0 && !is_null;
    *val = out;
    mysql_stmt_free_result(st); /* discards any rows left */
    return ok;
}

/* A statement whose text carries the token is prepared for this one read. */
static bool read_prepared(struct worker *w, long seq, bool *found, long long *val)
{
    if (w->token[0] == '\0')
        return read_stmt(w, w->rc->select, seq, found, val);
    build_read_sql(w, w->token, seq, true);
    MYSQL_STMT *st = prepare(w, w->rc, w->sql, "prepare select");
    if (st == NULL)
        return false;
    bool ok = read_stmt(w, st, seq, found, val);
    mysql_stmt_close(st);
    return ok;
}

static bool run_read(struct worker *w, long seq, bool *found, long long *val)
{
    double t0 = st_now();
    bool ok = w->cfg->prepared ? read_prepared(w, seq, found, val) : read_text(w, seq, found, val);
    if (ok) {
        w->s->reads++;
        st_latencies_push(&w->s->read_lat, micros(t0, st_now()));
    }
    return ok;
}

/* ------------------------------------------------------------------ iterations */

static void step_insert(struct worker *w, long seq)
{
    long long expected = (long long)w->s->key * 1000000000LL + seq;
    if (!run_write(w, true, seq, expected))
        return; /* nothing sure to read back; this seq is never reused */
    bool found = false;
    long long got = 0;
    if (!run_read(w, seq, &found, &got))
        return;
    if (!found || got != expected) {
        char text[32];
        snprintf(text, sizeof text, "%lld", expected);
        report_stale(w, seq, text, found, got);
    }
}

static void step_update(struct worker *w)
{
    w->attempted++;
    if (!run_write(w, false, 0, 0))
        return;
    w->applied++;
    bool found = false;
    long long got = 0;
    if (!run_read(w, 0, &found, &got))
        return;
    if (!found || got < w->applied) {
        char text[32];
        snprintf(text, sizeof text, ">=%lld", w->applied);
        report_stale(w, 0, text, found, got);
    } else if (got > w->attempted) {
        char msg[160];
        snprintf(msg, sizeof msg, "val %lld is ahead of the %lld updates sent: another writer "
                 "uses this run id?", got, w->attempted);
        fail(w, "check", w->rc->ep, 0, msg);
    }
}

static void iterate(struct worker *w, long i)
{
    enum st_mode mode = w->cfg->mode;
    bool insert = mode == ST_MODE_INSERT || (mode == ST_MODE_MIXED && i % 2 == 1);
    long errors_before = w->s->errors;
    if (insert)
        step_insert(w, i);
    else
        step_update(w);
    w->failures_in_row = w->s->errors > errors_before ? w->failures_in_row + 1 : 0;
    if (w->wc.broken)
        close_conn(&w->wc);
    if (w->rc_split.broken)
        close_conn(&w->rc_split);
}

/* Backs off a little after a failed connect, never past the deadline. */
static void pause_after_failure(const struct worker *w)
{
    double pause = 0.1 * w->failures_in_row;
    if (pause > 1.0)
        pause = 1.0;
    if (w->s->deadline > 0 && st_now() + pause > w->s->deadline)
        return;
    struct timespec ts = {.tv_sec = (time_t)pause, .tv_nsec = (long)((pause - (long)pause) * 1e9)};
    nanosleep(&ts, NULL);
}

static void run_session(struct worker *w)
{
    const struct st_config *cfg = w->cfg;
    for (long i = 1; cfg->iterations < 0 || i <= cfg->iterations; ++i) {
        if (w->s->deadline > 0 && st_now() >= w->s->deadline)
            break;
        w->iteration = i;
        if (cfg->reconnect_every > 0 && i > 1 && (i - 1) % cfg->reconnect_every == 0)
            close_all(w);
        if (!ensure_connected(w)) {
            ++w->failures_in_row;
            if (w->wc.broken)
                close_conn(&w->wc);
            pause_after_failure(w);
        } else {
            iterate(w, i);
        }
        if (w->failures_in_row >= MAX_FAILURES_IN_ROW) {
            note(w, "giving up after 10 failed iterations in a row");
            break;
        }
    }
}

void *st_session_main(void *arg)
{
    struct st_session *s = arg;
    mysql_thread_init();
    struct worker w;
    memset(&w, 0, sizeof w);
    w.s = s;
    w.cfg = s->cfg;
    w.wc.ep = &s->cfg->write_ep;
    w.rc_split.ep = &s->cfg->read_ep;
    w.rc = s->cfg->split ? &w.rc_split : &w.wc;
    snprintf(w.table, sizeof w.table, "`%s`", s->cfg->table);
    w.sql_cap = (s->cfg->hint != NULL ? strlen(s->cfg->hint) : 0) + TOKEN_MAX + 256;
    w.sql = malloc(w.sql_cap);
    if (w.sql == NULL)
        fail(&w, "start", w.wc.ep, 0, "out of memory");
    else
        run_session(&w);
    close_all(&w);
    free(w.sql);
    mysql_thread_end();
    return NULL;
}
