/* `cloudqe replay`: reads NDJSON(.zst) files or stdin through the pipeline into
 * in-memory state (or, with --state, into Redis over partitions), then prints snapshots
 * (NDJSON, or a table with --table) and the counts of what was read, applied, dropped
 * as duplicate and dead-lettered. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "eval_setup.h"
#include "replay_load.h"
#include "replay_redis.h"
#include "snapshots.h"
#include "table.h"

#define MAX_STREAMS 128

static void usage(FILE *f)
{
    fprintf(f, "usage: cloudqe replay [OPTIONS] FILE...   (FILE: NDJSON, .zst, or - for stdin)\n"
               "  --config FILE        configuration (docs/spec/config.md); default: every default\n"
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
               "  --partitions N       with --state: spread input over N partitions by entity key\n"
               "Every --period given is printed, in the order given. Each FILE is checked\n"
               "(exists, readable, a file or a pipe) before any is read.\n"
               "Progress on a terminal: while reading, stderr shows events, ev/s, %% done (of the\n"
               "files' bytes) and the time left, unless --quiet.\n"
               "\n"
               "Example:\n"
               "  cloudqe replay --config cfg.json --period 2026-03 --period 2026-Q1 "
               "--table month.ndjson.zst\n");
}

static int parse_count(const char *opt, const char *text, long max, long *out)
{
    char *end;
    long v = strtol(text, &end, 10);
    if (*end || v < 1 || v > max) {
        fprintf(stderr, "replay: %s takes a number from 1 to %ld\n", opt, max);
        return -1;
    }
    *out = v;
    return 0;
}

int cqe_cmd_replay(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, 0, 'c'},
                                         {"model", required_argument, 0, 'm'},
                                         {"as-of", required_argument, 0, 'a'},
                                         {"period", required_argument, 0, 'p'},
                                         {"dead-letters", required_argument, 0, 'd'},
                                         {"streams", required_argument, 0, 's'},
                                         {"table", no_argument, 0, 't'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"no-services", no_argument, 0, 'n'},
                                         {"help", no_argument, 0, 'h'},
                                         {"state", required_argument, 0, 'S'},
                                         {"partitions", required_argument, 0, 'P'},
                                         {0, 0, 0, 0}};
    const char *config_path = NULL, *model_path = NULL, *as_of_text = NULL, *dlq_path = NULL,
               *state_url = NULL;
    const char *period_ids[CQE_MAX_PERIODS];
    size_t n_periods = 0;
    long n_streams = 1, partitions = 0;
    bool table = false, quiet = false, services = true;
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
        case 'S': state_url = optarg; break;
        case 'p': /* past the bound only counted: cqe_eval_setup_check_args refuses it */
            if (n_periods < CQE_MAX_PERIODS)
                period_ids[n_periods] = optarg;
            n_periods++;
            break;
        case 's':
            if (parse_count("--streams", optarg, MAX_STREAMS, &n_streams))
                return 2;
            break;
        case 'P':
            if (parse_count("--partitions", optarg, 1024, &partitions))
                return 2;
            break;
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

    struct cqe_eval_setup es;
    struct cqe_err err = {0};
    struct cqe_store *merged = NULL;
    struct cqe_pipeline_counts counts;
    struct cqe_view *view = NULL;
    int status = 1;

    if (cqe_eval_setup_check_args(period_ids, n_periods, as_of_text, &err)) {
        fprintf(stderr, "replay: %s\n", err.msg);
        return 2;
    }
    if (cqe_cli_check_inputs(argv + optind, argc - optind, &err)) {
        fprintf(stderr, "replay: %s\n", err.msg);
        return 1;
    }
    struct cqe_progress_line progress;
    if (cqe_eval_setup_init(&es, config_path, model_path, period_ids, n_periods, as_of_text, &err))
        goto fail;
    cqe_progress_line_start(&progress, "replay", quiet,
                            cqe_progress_line_bytes(argv + optind, argc - optind));
    if (state_url) { /* partitions into Redis; read back with `cloudqe snapshot` */
        if (cqe_replay_redis(&es.cfg, state_url, partitions ? (int)partitions : 1, argv + optind,
                             argc - optind, dlq_path, &progress, &err))
            goto fail;
        status = 0;
        goto out;
    }
    if (cqe_replay_load(&es.cfg, argv + optind, argc - optind, dlq_path, (size_t)n_streams, &progress,
                        &merged, &counts, &err))
        goto fail;
    cqe_eval_setup_resolve(&es, counts.max_ts, counts.applied > 0);
    if (!(view = cqe_view_build(merged, &es.cfg, &err)))
        goto fail;
    struct cqe_emit_options eo = {
        es.periods, es.n_periods, es.as_of, {counts.applied, counts.dead_letters, counts.duplicates, 0},
        NULL,       services,     services};
    if (table ? cqe_table_print(view, &es.model, &eo, stdout, &err)
              : cqe_emit_records(view, &es.model, &eo, cqe_print_record, NULL, &err))
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
    cqe_eval_setup_fini(&es);
    return status;
}
