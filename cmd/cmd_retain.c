/* `cloudqe retain`: archives the years retention no longer keeps in Redis to lake files
 * and deletes their state keys, exactly once (pipeline/retention.h, docs/state.md). */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"
#include "eval_setup.h"
#include "retention.h"
#include "timeutil.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: cloudqe retain --config FILE --archive DIR [OPTIONS]\n"
               "  --config FILE        configuration with \"retention\": {\"keep_years\": N}\n"
               "  --archive DIR        where the archive goes: DIR/period=<id>/part-<hash>.ndjson.zst\n"
               "  --state URL          the Redis state (default: the configuration's redis.url)\n"
               "  --as-of TIME         RFC 3339 instant (default: the largest event ts applied);\n"
               "                       every year that ended keep_years before it is archived\n"
               "  --model FILE         indicator model of the archived snapshots (default built-in)\n"
               "  --dry-run            write and delete nothing; print what would be done\n"
               "Prints one JSON summary line on stdout (docs/state.md, \"Retention\").\n"
               "\n"
               "Example:\n"
               "  cloudqe retain --config cfg.json --archive lake/ --dry-run\n");
}

static void print_summary(const struct cqe_retain_summary *s, const struct cqe_retain_opts *o, int offset)
{
    char as_of[40], before[40], was[40] = "";
    cqe_time_format(o->as_of, offset, as_of, sizeof as_of);
    cqe_time_format(s->before, offset, before, sizeof before);
    if (s->before_was > 0)
        cqe_time_format(s->before_was, offset, was, sizeof was);
    printf("{\"kind\":\"retain_summary\",\"dry_run\":%s,\"as_of\":\"%s\",\"keep_years\":%lld,"
           "\"kept_from\":\"%s\",\"kept_from_before\":%s%s%s,\"years_archived\":%lld,"
           "\"months_archived\":%lld,\"periods_written\":%lld,\"records\":%lld,\"bytes_written\":%lld,"
           "\"ndjson_bytes\":%lld,\"keys_deleted\":%lld,\"earlier_keys_deleted\":%lld}\n",
           o->dry_run ? "true" : "false", as_of, (long long)o->keep_years, before, was[0] ? "\"" : "",
           was[0] ? was : "null", was[0] ? "\"" : "", (long long)s->years, (long long)(12 * s->years),
           (long long)s->periods, (long long)s->records, (long long)s->bytes, (long long)s->ndjson_bytes,
           (long long)s->keys_deleted, (long long)s->earlier_keys);
}

/* Loads the state as `snapshot` does, runs retention, prints the summary. */
static int retain(const char *config_path, const char *model_path, const char *state, const char *as_of_text,
                  struct cqe_retain_opts *o, struct cqe_err *err)
{
    struct cqe_eval_setup es;
    struct cqe_redis *r = NULL;
    struct cqe_store *store = NULL;
    struct cqe_redis_counts counts;
    struct cqe_retain_summary sum;
    int rc = cqe_eval_setup_init(&es, config_path, model_path, NULL, 0, as_of_text, err);
    if (rc)
        goto out;
    if (!es.cfg.retention_keep_years) {
        rc = cqe_err_set(
            err, CQE_ECONFIG,
            "%s sets no retention: add \"retention\": {\"keep_years\": N} (years kept in Redis, >= 1)",
            config_path);
        goto out;
    }
    if ((rc = cqe_eval_setup_load_state(&es, state, &r, &store, &counts, err)))
        goto out;
    o->as_of = es.as_of;
    o->keep_years = es.cfg.retention_keep_years;
    if ((rc = cqe_retain(r, &es.cfg, &es.model, store, &counts, o, &sum, err)))
        goto out;
    print_summary(&sum, o, es.cfg.utc_offset_min);
out:
    cqe_store_free(store);
    cqe_redis_free(r);
    cqe_eval_setup_fini(&es);
    return rc;
}

int cqe_cmd_retain(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, 0, 'c'}, {"archive", required_argument, 0, 'd'},
        {"state", required_argument, 0, 's'},  {"as-of", required_argument, 0, 'a'},
        {"model", required_argument, 0, 'm'},  {"dry-run", no_argument, 0, 'n'},
        {"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
    const char *config_path = NULL, *state = NULL, *as_of_text = NULL, *model_path = NULL;
    struct cqe_retain_opts o = {0};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config_path = optarg; break;
        case 'd': o.archive_dir = optarg; break;
        case 's': state = optarg; break;
        case 'a': as_of_text = optarg; break;
        case 'm': model_path = optarg; break;
        case 'n': o.dry_run = true; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc || !config_path || !o.archive_dir) {
        if (optind < argc)
            fprintf(stderr, "retain: unexpected argument '%s'\n", argv[optind]);
        else
            fprintf(stderr, "retain: give --config FILE and --archive DIR\n");
        usage(stderr);
        return 2;
    }
    struct cqe_err err = {0};
    int status = retain(config_path, model_path, state, as_of_text, &o, &err) ? 1 : 0;
    if (status)
        fprintf(stderr, "retain: %s\n", err.msg[0] ? err.msg : cqe_strerror(err.code));
    fflush(stdout);
    return status;
}
