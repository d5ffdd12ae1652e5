/* `cloudqe snapshot`: reads the state every partition wrote to Redis, merges it into a
 * memory store and prints the records `cloudqe replay` prints for the same events. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "commands.h"
#include "eval_setup.h"
#include "config.h"
#include "model.h"
#include "snapshots.h"
#include "state_redis.h"
#include "table.h"
#include "timeutil.h"
#include "view.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: cloudqe snapshot --state redis://HOST:PORT/DB [OPTIONS]\n"
               "  --state URL          the Redis state written by `replay --state` (default: the\n"
               "                       configuration's redis.url); user, password and db come from\n"
               "                       the configuration (password from a file or the environment)\n"
               "  --config FILE        configuration (docs/spec/config.md)\n"
               "  --model FILE         indicator model; default: the built-in model of model.md\n"
               "  --target X           only the snapshots of target X (a provider or platform)\n"
               "  --period ID          2026, 2026-Q1 or 2026-03; repeatable (default: month,\n"
               "                       quarter and year holding as_of)\n"
               "  --as-of TIME         RFC 3339 instant (default: the largest event ts applied)\n"
               "  --table              a readable table per target instead of NDJSON\n"
               "  --no-services        omit the service and department records\n"
               "Every --period given is printed, in the order given. An unknown --target is a\n"
               "usage error (exit 2) naming the known targets.\n"
               "\n"
               "Example:\n"
               "  cloudqe snapshot --state redis://127.0.0.1:6390/0 --config cfg.json --target platform "
               "--period 2026-03\n");
}

int cqe_cmd_snapshot(int argc, char **argv)
{
    static const struct option opts[] = {
        {"state", required_argument, 0, 's'},  {"config", required_argument, 0, 'c'},
        {"model", required_argument, 0, 'm'},  {"target", required_argument, 0, 'x'},
        {"period", required_argument, 0, 'p'}, {"as-of", required_argument, 0, 'a'},
        {"table", no_argument, 0, 't'},        {"no-services", no_argument, 0, 'n'},
        {"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
    const char *state = NULL, *config_path = NULL, *model_path = NULL, *target = NULL, *as_of_text = NULL;
    const char *period_ids[CQE_MAX_PERIODS];
    size_t n_periods = 0;
    bool table = false, services = true;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 's': state = optarg; break;
        case 'c': config_path = optarg; break;
        case 'm': model_path = optarg; break;
        case 'x': target = optarg; break;
        case 'a': as_of_text = optarg; break;
        case 't': table = true; break;
        case 'n': services = false; break;
        case 'p': /* past the bound only counted: cqe_eval_setup_check_args refuses it */
            if (n_periods < CQE_MAX_PERIODS)
                period_ids[n_periods] = optarg;
            n_periods++;
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "snapshot: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }

    struct cqe_eval_setup es;
    struct cqe_err err = {0};
    struct cqe_redis *r = NULL;
    struct cqe_store *store = NULL;
    struct cqe_view *view = NULL;
    struct cqe_redis_counts counts;
    int status = 1;

    if (cqe_eval_setup_check_args(period_ids, n_periods, as_of_text, &err)) {
        fprintf(stderr, "snapshot: %s\n", err.msg);
        return 2;
    }
    if (cqe_eval_setup_init(&es, config_path, model_path, period_ids, n_periods, as_of_text, &err))
        goto fail;
    if (cqe_eval_setup_load_state(&es, state, &r, &store, &counts, &err))
        goto fail;
    cqe_redis_free(r);
    r = NULL;
    if (!(view = cqe_view_build(store, &es.cfg, &err)))
        goto fail;
    if (cqe_cli_check_target(view, target, &err)) {
        status = 2; /* the targets are known only now, but it is the command line that is wrong */
        goto fail;
    }
    struct cqe_emit_options eo = {es.periods,
                                  es.n_periods,
                                  es.as_of,
                                  {counts.applied, counts.dead_letters, counts.duplicates, 0},
                                  target,
                                  services && !target,
                                  services && !target};
    if (table ? cqe_table_print(view, &es.model, &eo, stdout, &err)
              : cqe_emit_records(view, &es.model, &eo, cqe_print_record, NULL, &err))
        goto fail;
    status = 0;
    goto out;
fail:
    fprintf(stderr, "snapshot: %s\n", err.msg[0] ? err.msg : cqe_strerror(err.code));
out:
    fflush(stdout);
    cqe_view_free(view);
    cqe_store_free(store);
    cqe_redis_free(r);
    cqe_eval_setup_fini(&es);
    return status;
}
