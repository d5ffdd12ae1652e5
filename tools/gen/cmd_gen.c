/* `cloudqe gen`: writes a synthetic province (providers, 委办局, services, VMs, hosts)
 * as NDJSON events of the contract, deterministic for a seed, with configured shares
 * of late, duplicate and malformed lines; optionally the matching configuration.
 * Options are one table (parsing, defaults and --help come from it). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "file_writer.h"
#include "gen.h"
#include "progress_line.h"
#include "timeutil.h"

enum opt_kind { OPT_INT, OPT_SHARE, OPT_DATE, OPT_PATH };

struct opt {
    const char *name;
    enum opt_kind kind;
    size_t off;      /* into struct cqe_gen_opts */
    const char *def; /* NULL: required (OPT_INT) or absent (OPT_PATH) */
    double lo, hi;   /* bounds of numbers */
    const char *help;
};

#define OFF(f) offsetof(struct cqe_gen_opts, f)

static const struct opt opts_table[] = {
    {"seed", OPT_INT, OFF(seed), NULL, 0, 9e18, "random seed (required); same seed and options, same bytes"},
    {"days", OPT_INT, OFF(days), NULL, 1, 3660, "days to generate (required)"},
    {"start", OPT_DATE, OFF(start_day), "2026-03-01", 0, 0, "first local day (+08:00), YYYY-MM-DD"},
    {"providers", OPT_INT, OFF(providers), "3", 1, 64, "cloud providers (gz-telecom, gz-unicom, ...)"},
    {"depts", OPT_INT, OFF(depts), "20", 1, 1000, "departments (市公安局, 市卫健委, ...)"},
    {"services", OPT_INT, OFF(services), "200", 1, 100000, "services (business systems)"},
    {"vms", OPT_INT, OFF(vms), "2000", 0, 1000000, "virtual machines sampled by monitoring"},
    {"hosts", OPT_INT, OFF(hosts), "100", 0, 100000, "physical hosts sampled by monitoring"},
    {"metric-interval-s", OPT_INT, OFF(metric_interval_s), "300", 10, 86400,
     "seconds between metric samples of a resource"},
    {"probe-interval-s", OPT_INT, OFF(probe_interval_s), "300", 10, 86400,
     "seconds between probes of a service from one site"},
    {"probe-share", OPT_SHARE, OFF(probe_share), "0.10", 0, 1,
     "share of services probed (from 2-3 sites each)"},
    {"late-share", OPT_SHARE, OFF(late_share), "0.01", 0, 0.5,
     "share of events written late (out of ts order)"},
    {"dup-share", OPT_SHARE, OFF(dup_share), "0.005", 0, 0.5, "share of lines repeated later (exact copies)"},
    {"bad-share", OPT_SHARE, OFF(bad_share), "0.001", 0, 0.5, "share of lines made malformed"},
    {"out", OPT_PATH, OFF(out), "-", 0, 0, "events file; .zst compresses; - is stdout"},
    {"config-out", OPT_PATH, OFF(config_out), NULL, 0, 0, "also write the matching configuration JSON here"},
};

#define N_OPTS (sizeof opts_table / sizeof opts_table[0])

static void usage(FILE *f)
{
    fprintf(f, "usage: cloudqe gen --seed S --days D [OPTIONS]\n\n"
               "Writes a synthetic government cloud (政务云) as NDJSON events, in ts order but\n"
               "for the late share; prints a {\"kind\":\"gen_summary\",...} line on stderr.\n"
               "Progress on a terminal: stderr shows lines, ev/s, %% done (of the days) and the\n"
               "time left.\n\n");
    for (size_t i = 0; i < N_OPTS; i++) {
        const struct opt *o = &opts_table[i];
        char left[48];
        snprintf(left, sizeof left, "--%s %s", o->name,
                 o->kind == OPT_PATH    ? "FILE"
                 : o->kind == OPT_DATE  ? "DATE"
                 : o->kind == OPT_SHARE ? "X"
                                        : "N");
        fprintf(f, "  %-26s %s", left, o->help);
        if (o->def)
            fprintf(f, " [%s]", o->def);
        fputc('\n', f);
    }
    fprintf(f, "  %-26s %s\n", "--help", "this text");
    fprintf(f, "\nExample (a month of 200 vms, and the configuration that matches it):\n"
               "  cloudqe gen --seed 1 --days 31 --start 2026-03-01 --vms 200 --out month.ndjson.zst "
               "--config-out cfg.json\n");
}

/* Parses text as option o into opts; returns 0 or -1 with a message on stderr. */
static int set_opt(const struct opt *o, const char *text, struct cqe_gen_opts *opts)
{
    char *end = NULL;
    void *field = (char *)opts + o->off;
    switch (o->kind) {
    case OPT_INT: {
        long long v = strtoll(text, &end, 10);
        if (!*text || *end || (double)v < o->lo || (double)v > o->hi) {
            fprintf(stderr, "gen: --%s wants an integer in [%.0f, %.0f], got '%s'\n", o->name, o->lo, o->hi,
                    text);
            return -1;
        }
        *(int64_t *)field = v;
        return 0;
    }
    case OPT_SHARE: {
        double v = strtod(text, &end);
        if (!*text || *end || !(v >= o->lo && v <= o->hi)) {
            fprintf(stderr, "gen: --%s wants a number in [%g, %g], got '%s'\n", o->name, o->lo, o->hi, text);
            return -1;
        }
        *(double *)field = v;
        return 0;
    }
    case OPT_DATE: {
        int64_t day;
        if (cqe_date_parse(text, strlen(text), &day)) {
            fprintf(stderr, "gen: --%s wants a real date YYYY-MM-DD, got '%s'\n", o->name, text);
            return -1;
        }
        *(int64_t *)field = day;
        return 0;
    }
    case OPT_PATH:
        if (!*text) {
            fprintf(stderr, "gen: --%s wants a file name\n", o->name);
            return -1;
        }
        *(const char **)field = text;
        return 0;
    }
    return -1;
}

static const struct opt *find_opt(const char *name, size_t n)
{
    for (size_t i = 0; i < N_OPTS; i++)
        if (strlen(opts_table[i].name) == n && !strncmp(opts_table[i].name, name, n))
            return &opts_table[i];
    return NULL;
}

/* Returns 0, 1 for --help, or -1 on a usage error (already reported). */
static int parse_args(int argc, char **argv, struct cqe_gen_opts *opts)
{
    int seen[N_OPTS] = {0};
    memset(opts, 0, sizeof *opts);
    for (size_t i = 0; i < N_OPTS; i++)
        if (opts_table[i].def && set_opt(&opts_table[i], opts_table[i].def, opts))
            return -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h"))
            return 1;
        if (strncmp(a, "--", 2)) {
            fprintf(stderr, "gen: unexpected argument '%s' (see --help)\n", a);
            return -1;
        }
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t n = eq ? (size_t)(eq - name) : strlen(name);
        const struct opt *o = find_opt(name, n);
        if (!o) {
            fprintf(stderr, "gen: unrecognized option '%s' (see --help)\n", a);
            return -1;
        }
        const char *val = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (!val) {
            fprintf(stderr, "gen: --%s needs a value\n", o->name);
            return -1;
        }
        if (set_opt(o, val, opts))
            return -1;
        seen[o - opts_table] = 1;
    }
    for (size_t i = 0; i < N_OPTS; i++)
        if (!opts_table[i].def && opts_table[i].kind == OPT_INT && !seen[i]) {
            fprintf(stderr, "gen: --%s is required (see --help)\n", opts_table[i].name);
            return -1;
        }
    /* every generated time (dues and windows run up to ~40 days ahead) must stay in
     * [2000-01-01Z, 2101-01-01Z) */
    int64_t lo = cqe_days_from_civil(2000, 1, 2), hi = cqe_days_from_civil(2100, 11, 1);
    if (opts->start_day < lo || opts->start_day + opts->days > hi) {
        fprintf(stderr, "gen: --start and --days must keep the span within 2000-01-02 .. 2100-10-31\n");
        return -1;
    }
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void print_summary(const struct cqe_gen_world *w, const struct cqe_gen_stats *st, double secs)
{
    int64_t y;
    int m, d;
    cqe_civil_from_days(w->opts.start_day, &y, &m, &d);
    uint64_t events = 0;
    for (int t = 0; t < CQE_T__COUNT; t++)
        events += st->by_type[t];
    size_t catalog = 0, probed = 0;
    for (size_t s = 0; s < w->n_svcs; s++) {
        catalog += w->svcs[s].in_catalog;
        probed += w->svcs[s].probed;
    }
    fprintf(stderr,
            "{\"kind\":\"gen_summary\",\"seed\":%lld,\"start\":\"%04lld-%02d-%02d\",\"days\":%lld,"
            "\"lines\":%llu,\"events\":%llu,\"by_type\":{",
            (long long)w->opts.seed, (long long)y, m, d, (long long)w->opts.days,
            (unsigned long long)st->lines, (unsigned long long)events);
    for (int t = 0; t < CQE_T__COUNT; t++)
        fprintf(stderr, "%s\"%s\":%llu", t ? "," : "", cqe_type_name((enum cqe_type)t),
                (unsigned long long)st->by_type[t]);
    fprintf(stderr, "},\"late\":%llu,\"duplicates\":%llu,\"malformed\":%llu,\"malformed_by_kind\":{",
            (unsigned long long)st->late, (unsigned long long)st->duplicates,
            (unsigned long long)st->malformed);
    for (int k = 0; k < CQE_GEN_BAD__COUNT; k++)
        fprintf(stderr, "%s\"%s\":%llu", k ? "," : "", cqe_gen_bad_names[k],
                (unsigned long long)st->bad_by_kind[k]);
    fprintf(stderr,
            "},\"providers\":%zu,\"depts\":%zu,\"services\":%zu,\"catalog_services\":%zu,"
            "\"probed_services\":%zu,\"resources\":%zu,\"bytes\":%llu,\"seconds\":%.3f,"
            "\"lines_per_s\":%.0f}\n",
            w->n_provs, w->n_depts, w->n_svcs, catalog, probed, w->n_res, (unsigned long long)st->bytes, secs,
            secs > 0 ? (double)st->lines / secs : 0.0);
}

int cqe_cmd_gen(int argc, char **argv)
{
    struct cqe_gen_opts opts;
    struct cqe_gen_world world;
    struct cqe_gen_stats st;
    struct cqe_gen_rng rng;
    struct cqe_err err = {0, ""};
    struct cqe_file_writer *fw = NULL;
    int status = 1, built = 0, rc;

    int pr = parse_args(argc, argv, &opts);
    if (pr) {
        if (pr > 0)
            usage(stdout);
        return pr > 0 ? 0 : 2;
    }
    memset(&st, 0, sizeof st);
    double t0 = now_s();
    cqe_gen_rng_seed(&rng, (uint64_t)opts.seed, 1);
    if (cqe_gen_world_build(&world, &opts, &rng, &err))
        goto out;
    built = 1;
    if (opts.config_out && cqe_gen_write_config(&world, opts.config_out, &err))
        goto out;
    if (cqe_file_writer_open(opts.out, &fw, &err))
        goto out;
    struct cqe_progress_line progress;
    cqe_progress_line_start(&progress, "gen", false, (uint64_t)(world.end_ms - world.start_ms));
    rc = cqe_gen_run(&world, (uint64_t)opts.seed, fw, &st, &progress, &err);
    cqe_progress_line_clear(&progress);
    if (rc)
        goto out;
    struct cqe_file_writer *f = fw;
    fw = NULL;
    if (cqe_file_writer_close(f, &err))
        goto out;
    print_summary(&world, &st, now_s() - t0);
    status = 0;
out:
    if (status)
        fprintf(stderr, "gen: %s\n", err.msg[0] ? err.msg : cqe_strerror(err.code));
    if (fw)
        cqe_file_writer_abort(fw);
    if (built)
        cqe_gen_world_free(&world);
    return status;
}
