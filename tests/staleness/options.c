/* Command line of causeway_staleness. Every value is checked here so that the workers
 * can trust the config. */
#define _GNU_SOURCE
#include "staleness.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void usage(FILE *out)
{
    fputs(
        "usage: causeway_staleness [options]\n"
        "Write-then-read checker: every session writes a row and reads it back at once;\n"
        "a read that misses its own write is stale.\n"
        "\n"
        "  --host HOST            write endpoint (127.0.0.1)\n"
        "  --port PORT            write endpoint port (3306)\n"
        "  --read-host HOST       read endpoint (default: --host)\n"
        "  --read-port PORT       read endpoint port (default: --port)\n"
        "  --user USER            (app)\n"
        "  --password PASS        (empty)\n"
        "  --database DB          (demo)\n"
        "  --table NAME           (staleness)\n"
        "  --setup                CREATE TABLE IF NOT EXISTS; drops nothing\n"
        "  --sessions K           concurrent sessions, one thread and connection each (8)\n"
        "  --iterations N         write+read pairs per session (200; with only --duration:\n"
        "                         unlimited)\n"
        "  --duration SECONDS     stop after this long (whichever of the two ends first)\n"
        "  --timeout SECONDS      connect/read/write timeout of every connection (10)\n"
        "  --run-id ID            1..2147482, separates runs' rows (default: from pid and time)\n"
        "  --mode MODE            insert | update | mixed (insert)\n"
        "  --transactions         wrap each write in BEGIN ... COMMIT\n"
        "  --hint TEXT            prepend TEXT to every read, e.g.\n"
        "                         '/* causeway: consistency=strong */'\n"
        "  --prepared             prepared statements (mysql_stmt_*) for writes and reads\n"
        "  --reconnect-every M    reopen the session's connections every M iterations\n"
        "  --min-gtid-from-ok     pass the GTID of each write (session-tracked last_gtid\n"
        "                         or GTIDS in the OK packet) to the next read as\n"
        "                         /* causeway: min_gtid=... */\n"
        "  --allow-stale          stale reads are counted but do not fail the run\n"
        "  --json FILE            also write the summary as a JSON object\n"
        "  --max-report N         stale reads / errors shown in detail (10)\n"
        "  --help\n"
        "\n"
        "exit status: 0 no stale read and no error, 1 stale reads, 2 errors (and no stale\n"
        "read), 3 bad usage\n",
        out);
}

static bool parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

static bool parse_seconds(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !isfinite(v) || v <= 0 || v > 86400.0 * 365)
        return false;
    *out = v;
    return true;
}

/* Only plain identifiers: the name is pasted into SQL (backquoted). */
static bool valid_table(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > ST_MAX_TABLE_NAME)
        return false;
    for (size_t i = 0; i < n; ++i) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '$'))
            return false;
    }
    return true;
}

static long default_run_id(void)
{
    unsigned long mix = (unsigned long)time(NULL) * 2654435761UL ^ (unsigned long)getpid() * 40503UL;
    return (long)(mix % (unsigned long)ST_MAX_RUN_ID) + 1;
}

enum {
    OPT_HOST = 256, OPT_PORT, OPT_READ_HOST, OPT_READ_PORT, OPT_USER, OPT_PASSWORD,
    OPT_DATABASE, OPT_TABLE, OPT_SETUP, OPT_SESSIONS, OPT_ITERATIONS, OPT_DURATION,
    OPT_TIMEOUT, OPT_RUN_ID, OPT_MODE, OPT_TRANSACTIONS, OPT_HINT, OPT_PREPARED,
    OPT_RECONNECT_EVERY, OPT_MIN_GTID, OPT_ALLOW_STALE, OPT_JSON, OPT_MAX_REPORT, OPT_HELP
};

static const struct option long_options[] = {
    {"host", required_argument, NULL, OPT_HOST},
    {"port", required_argument, NULL, OPT_PORT},
    {"read-host", required_argument, NULL, OPT_READ_HOST},
    {"read-port", required_argument, NULL, OPT_READ_PORT},
    {"user", required_argument, NULL, OPT_USER},
    {"password", required_argument, NULL, OPT_PASSWORD},
    {"database", required_argument, NULL, OPT_DATABASE},
    {"table", required_argument, NULL, OPT_TABLE},
    {"setup", no_argument, NULL, OPT_SETUP},
    {"sessions", required_argument, NULL, OPT_SESSIONS},
    {"iterations", required_argument, NULL, OPT_ITERATIONS},
    {"duration", required_argument, NULL, OPT_DURATION},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"run-id", required_argument, NULL, OPT_RUN_ID},
    {"mode", required_argument, NULL, OPT_MODE},
    {"transactions", no_argument, NULL, OPT_TRANSACTIONS},
    {"hint", required_argument, NULL, OPT_HINT},
    {"prepared", no_argument, NULL, OPT_PREPARED},
    {"reconnect-every", required_argument, NULL, OPT_RECONNECT_EVERY},
    {"min-gtid-from-ok", no_argument, NULL, OPT_MIN_GTID},
    {"allow-stale", no_argument, NULL, OPT_ALLOW_STALE},
    {"json", required_argument, NULL, OPT_JSON},
    {"max-report", required_argument, NULL, OPT_MAX_REPORT},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

static int bad(const char *option, const char *value, const char *want)
{
    fprintf(stderr, "causeway_staleness: bad value '%s' for --%s: %s (see --help)\n", value,
            option, want);
    return -1;
}

/* One option into the config; -1 on a bad value. */
static int apply_option(int opt, const char *arg, struct st_config *c, const char **read_host,
                        long *read_port, bool *iterations_given)
{
    long v;
    switch (opt) {
    case OPT_HOST: c->write_ep.host = arg; return 0;
    case OPT_READ_HOST: *read_host = arg; return 0;
    case OPT_PORT:
        if (!parse_long(arg, 1, 65535, &v)) return bad("port", arg, "1..65535");
        c->write_ep.port = (unsigned)v;
        return 0;
    case OPT_READ_PORT:
        if (!parse_long(arg, 1, 65535, read_port)) return bad("read-port", arg, "1..65535");
        return 0;
    case OPT_USER: c->user = arg; return 0;
    case OPT_PASSWORD: c->password = arg; return 0;
    case OPT_DATABASE: c->database = arg; return 0;
    case OPT_TABLE:
        if (!valid_table(arg)) return bad("table", arg, "letters, digits, _ and $ (at most 64)");
        strcpy(c->table, arg);
        return 0;
    case OPT_SETUP: c->setup = true; return 0;
    case OPT_SESSIONS:
        if (!parse_long(arg, 1, ST_MAX_SESSIONS, &v)) return bad("sessions", arg, "1..1000");
        c->sessions = (int)v;
        return 0;
    case OPT_ITERATIONS:
        if (!parse_long(arg, 0, 1000000000L, &c->iterations))
            return bad("iterations", arg, "0..1000000000");
        *iterations_given = true;
        return 0;
    case OPT_DURATION:
        if (!parse_seconds(arg, &c->duration_s)) return bad("duration", arg, "seconds > 0");
        return 0;
    case OPT_TIMEOUT:
        if (!parse_long(arg, 1, 3600, &v)) return bad("timeout", arg, "1..3600 seconds");
        c->timeout_s = (unsigned)v;
        return 0;
    case OPT_RUN_ID:
        if (!parse_long(arg, 1, ST_MAX_RUN_ID, &c->run_id)) return bad("run-id", arg, "1..2147482");
        c->run_id_given = true;
        return 0;
    case OPT_MODE:
        if (strcmp(arg, "insert") == 0) c->mode = ST_MODE_INSERT;
        else if (strcmp(arg, "update") == 0) c->mode = ST_MODE_UPDATE;
        else if (strcmp(arg, "mixed") == 0) c->mode = ST_MODE_MIXED;
        else return bad("mode", arg, "insert, update or mixed");
        return 0;
    case OPT_TRANSACTIONS: c->transactions = true; return 0;
    case OPT_HINT: c->hint = arg[0] != '\0' ? arg : NULL; return 0;
    case OPT_PREPARED: c->prepared = true; return 0;
    case OPT_RECONNECT_EVERY:
        if (!parse_long(arg, 1, 1000000000L, &c->reconnect_every))
            return bad("reconnect-every", arg, "a positive number of iterations");
        return 0;
    case OPT_MIN_GTID: c->min_gtid_from_ok = true; return 0;
    case OPT_ALLOW_STALE: c->allow_stale = true; return 0;
    case OPT_JSON: c->json_path = arg; return 0;
    case OPT_MAX_REPORT:
        if (!parse_long(arg, 0, 100000, &v)) return bad("max-report", arg, "0..100000");
        c->max_report = (int)v;
        return 0;
    default: return -1;
    }
}

int st_parse_options(int argc, char **argv, struct st_config *c)
{
    memset(c, 0, sizeof *c);
    c->write_ep.host = "127.0.0.1";
    c->write_ep.port = 3306;
    c->user = "app";
    c->password = "";
    c->database = "demo";
    strcpy(c->table, "staleness");
    c->sessions = 8;
    c->iterations = 200;
    c->timeout_s = 10;
    c->mode = ST_MODE_INSERT;
    c->max_report = 10;

    const char *read_host = NULL;
    long read_port = 0;
    bool iterations_given = false;
    opterr = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
        if (opt == OPT_HELP) {
            usage(stdout);
            return 1;
        }
        if (opt == '?' || opt == ':') {
            const char *what = argv[optind - 1];
            fprintf(stderr, "causeway_staleness: %s option %s (see --help)\n",
                    optopt != 0 ? "missing value for" : "unknown", what);
            return -1;
        }
        if (apply_option(opt, optarg, c, &read_host, &read_port, &iterations_given) != 0)
            return -1;
    }
    if (optind < argc) {
        fprintf(stderr, "causeway_staleness: unexpected argument '%s' (see --help)\n", argv[optind]);
        return -1;
    }
    if (c->duration_s > 0 && !iterations_given)
        c->iterations = -1;
    c->read_ep.host = read_host != NULL ? read_host : c->write_ep.host;
    c->read_ep.port = read_port != 0 ? (unsigned)read_port : c->write_ep.port;
    c->split = strcmp(c->read_ep.host, c->write_ep.host) != 0 || c->read_ep.port != c->write_ep.port;
    if (!c->run_id_given)
        c->run_id = default_run_id();
    return 0;
}
