/* `cloudqe replay`: reads NDJSON(.zst) files or stdin through the pipeline into
 * in-memory state, then prints snapshots (NDJSON, or a table with --table) and the
 * counts of what was read, applied, dropped as duplicate and dead-lettered. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "replay_load.h"
#include "replay_redis.h"
#include "snapshots.h"
#include "table.h"
#include "timeutil.h"

#define MAX_PERIODS 64
#define MAX_STREAMS 64

static void usage(FILE *f)
{
    fprintf(f,
            "usage: cloudqe replay [OPTIONS] FILE...   (FILE: NDJSON, .zst, or - for stdin)\n"
            "  --config FILE        configuration (../shared/spec/config.md); default: every default\n"
            "  --model FILE         indicator model; default: the built-in model of model.md\n"
            "  --as-of TIME         RFC 3339 instant the snapshots describe (default: clock)\n"
            "  --period ID          2026, 2026-Q1 or 2026-03; repeatable (default: month,\n"
            "                       quarter and year holding as_of)\n"
            "  --dead-letters PATH  write refused lines there (NDJSON, .zst when named so)\n"
            "  --streams N          split applied events round-robin over N stores, merged\n"
            "                       before the figures (order-independence check)\n"
            "  --table              print a readable table per target instead of NDJSON\n"
            "  --no-services        omit the service and department records\n"
            "  --quiet              no counts on stderr except the summary line\n"
            "  --state URL          apply to Redis state (redis://HOST:PORT/DB) instead of memory,\n"
            "                       exactly once and resumable; read it with `cloudqe snapshot`\n"
            "  --partitions N       with --state: spread input over N partitions by entity key\n");
}

static int print_record(void *record, void *arg)
{
    (void)arg;
    char *s = cqe_record_dumps(record);
    if (!s)
        return CQE_ENOMEM;
    fputs(s, stdout);
    fputc('\n', stdout);
    free(s);
    return 0;
}

int cqe_cmd_replay(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, 0, 'c'}, {"model", required_argument, 0, 'm'},
        {"as-of", required_argument, 0, 'a'},  {"period", required_argument, 0, 'p'},
        {"dead-letters", required_argument, 0, 'd'}, {"streams", required_argument, 0, 's'},
        {"table", no_argument, 0, 't'},        {"quiet", no_argument, 0, 'q'},
        {"no-services", no_argument, 0, 'n'},  {"help", no_argument, 0, 'h'},
        {"state", required_argument, 0, 'S'},  {"partitions", required_argument, 0, 'P'},
        {0, 0, 0, 0}};
    const char *config_path = NULL, *model_path = NULL, *as_of_text = NULL, *dlq_path = NULL;
    const char *period_ids[MAX_PERIODS];
    size_t n_periods = 0, n_streams = 1;
    bool table = false, quiet = false, services = true;
    const char *state_url = NULL;
    int partitions = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config_path = optarg; break;
        case 'm': model_path = optarg; break;
        case 'a': as_of_text = optarg; break;
        case 'd': dlq_path = optarg; break;
        case 't': table = true; break;
        case 'q': quiet = true; break;
        case 'n': services = false; break;
        case 'p':
            if (n_periods == MAX_PERIODS) {
                fprintf(stderr, "replay: at most %d --period options\n", MAX_PERIODS);
                return 2;
            }
            period_ids[n_periods++] = optarg;
            break;
        case 's': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v < 1 || v > MAX_STREAMS) {
                fprintf(stderr, "replay: --streams takes a number from 1 to %d\n", MAX_STREAMS);
                return 2;
            }
            n_streams = (size_t)v;
            break;
        }
        case 'S': state_url = optarg; break;
        case 'P': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v < 1 || v > 1024) {
                fprintf(stderr, "replay: --partitions takes a number from 1 to 1024\n");
                return 2;
            }
            partitions = (int)v;
            break;
        }
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (partitions && !state_url) {
        fprintf(stderr, "replay: --partitions needs --state redis://HOST:PORT/DB\n");
        return 2;
    }
    if (optind >= argc) {
        fprintf(stderr, "replay: name at least one FILE (or - for stdin)\n");
        usage(stderr);
        return 2;
    }

    struct cqe_config cfg;
    struct cqe_model model;
    struct cqe_err err = {0};
    struct cqe_store *merged = NULL;
    struct cqe_pipeline_counts counts;
    struct cqe_view *view = NULL;
    struct cqe_period periods[MAX_PERIODS];
    int status = 1;
    bool model_loaded = false;

    cqe_config_defaults(&cfg);
    if (config_path && cqe_config_load(&cfg, config_path, &err))
        goto fail;
    if (model_path ? cqe_model_load_file(&model, model_path, &err)
                   : cqe_model_load_string(&model, cqe_default_model_json, "default model", &err))
        goto fail;
    model_loaded = true;
    for (size_t i = 0; i < n_periods; i++) {
        if (cqe_period_parse(period_ids[i], cfg.utc_offset_min, &periods[i])) {
            cqe_err_set(&err, CQE_EINVAL, "--period %s: use 2026, 2026-Q1 or 2026-03", period_ids[i]);
            goto fail;
        }
    }
    int64_t as_of = 0;
    if (as_of_text && cqe_time_parse_rfc3339(as_of_text, strlen(as_of_text), &as_of)) {
        cqe_err_set(&err, CQE_EINVAL, "--as-of %s: use RFC 3339 with an offset, e.g. 2026-03-31T00:00:00+08:00",
                    as_of_text);
        goto fail;
    }
    if (state_url) { /* partitions into Redis; read back with `cloudqe snapshot` */
        if (cqe_replay_redis(&cfg, state_url, partitions ? partitions : 1, argv + optind, argc - optind,
                             dlq_path, &err))
            goto fail;
        status = 0;
        goto out;
    }
    if (cqe_replay_load(&cfg, argv + optind, argc - optind, dlq_path, n_streams, &merged, &counts, &err))
        goto fail;
    if (!as_of_text)
        as_of = (cfg.clock == CQE_CLOCK_WALL || !counts.applied) ? cqe_wall_ms() : counts.max_ts;
    if (!n_periods) {
        cqe_default_periods(as_of, cfg.utc_offset_min, periods);
        n_periods = 3;
    }
    if (!(view = cqe_view_build(merged, &cfg, &err)))
        goto fail;
    struct cqe_emit_options eo = {periods, n_periods, as_of,
                                  {counts.applied, counts.dead_letters, counts.duplicates, 0},
                                  NULL, services, services};
    if (table ? cqe_table_print(view, &model, &eo, stdout, &err)
              : cqe_emit_records(view, &model, &eo, print_record, NULL, &err))
        goto fail;
    cqe_replay_print_counts(&counts, quiet);
    status = 0;
    goto out;
fail:
    fprintf(stderr, "replay: %s\n", err.msg);
out:
    fflush(stdout);
    cqe_view_free(view);
    cqe_store_free(merged);
    if (model_loaded)
        cqe_model_fini(&model);
    cqe_config_fini(&cfg);
    return status;
}
