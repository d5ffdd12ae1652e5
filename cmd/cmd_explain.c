/* `cloudqe explain`: why a target has its score in a period: for an indicator its value,
 * curve, points, weight and the evidence behind the value; for a node its children's
 * contributions and what would raise it most. From event files or the Redis state. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "eval_setup.h"
#include "explain.h"
#include "records.h"
#include "replay_load.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: cloudqe explain --target X --period P [OPTIONS] (--state URL | FILE...)\n"
               "  --target X           a provider id, or platform\n"
               "  --period P           2026, 2026-Q1 or 2026-03\n"
               "  --indicator ID       a node of the model (A, A1, A1.1, ...; default: the root,\n"
               "                       the total score)\n"
               "  --as-of TIME         RFC 3339 instant (default: the largest event ts)\n"
               "  --json               one JSON record (schemas/explain.schema.json) instead of text\n"
               "  --config FILE        configuration (docs/spec/config.md)\n"
               "  --model FILE         indicator model; default: the built-in model of model.md\n"
               "  --state URL          read the Redis state (redis://HOST:PORT/DB) instead of FILEs\n"
               "  FILE...              NDJSON(.zst) event files, replayed in memory (- for stdin)\n"
               "Example:\n"
               "  cloudqe explain --target p1 --period 2026-03 --indicator A1.1 events.ndjson\n");
}

/* Exit status of an error: 2 for what the user typed (unknown target, indicator, period
 * or time format), 1 for the rest. */
static int status_of(int rc)
{
    return rc == CQE_EINVAL || rc == CQE_ENOTFOUND ? 2 : 1;
}

int cqe_cmd_explain(int argc, char **argv)
{
    static const struct option opts[] = {{"target", required_argument, 0, 'x'},
                                         {"period", required_argument, 0, 'p'},
                                         {"indicator", required_argument, 0, 'i'},
                                         {"as-of", required_argument, 0, 'a'},
                                         {"json", no_argument, 0, 'j'},
                                         {"config", required_argument, 0, 'c'},
                                         {"model", required_argument, 0, 'm'},
                                         {"state", required_argument, 0, 's'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *target = NULL, *period = NULL, *indicator = NULL, *as_of_text = NULL, *config_path = NULL,
               *model_path = NULL, *state = NULL;
    bool json = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'x': target = optarg; break;
        case 'p': period = optarg; break;
        case 'i': indicator = optarg; break;
        case 'a': as_of_text = optarg; break;
        case 'j': json = true; break;
        case 'c': config_path = optarg; break;
        case 'm': model_path = optarg; break;
        case 's': state = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!target || !period) {
        fprintf(stderr, "explain: give --target (a provider id or platform) and --period (2026, 2026-Q1 or "
                        "2026-03)\n");
        usage(stderr);
        return 2;
    }
    if ((state != NULL) == (optind < argc)) {
        fprintf(stderr, "explain: read either --state URL or event FILEs (one of the two)\n");
        usage(stderr);
        return 2;
    }

    struct cqe_eval_setup es;
    struct cqe_err err = {0};
    struct cqe_redis *r = NULL;
    struct cqe_store *store = NULL;
    struct cqe_view *view = NULL;
    void *rec = NULL;
    int rc, status = 1;

    if (!state && cqe_cli_check_inputs(argv + optind, argc - optind, &err)) {
        fprintf(stderr, "explain: %s\n", err.msg); /* every FILE checked before any is read */
        return 1;
    }
    if ((rc = cqe_eval_setup_init(&es, config_path, model_path, &period, 1, as_of_text, &err)))
        goto fail;
    if (state) {
        struct cqe_redis_counts counts = {0};
        rc = cqe_eval_setup_load_state(&es, state, &r, &store, &counts, &err);
        cqe_redis_free(r);
    } else {
        struct cqe_pipeline_counts counts;
        rc = cqe_replay_load(&es.cfg, argv + optind, argc - optind, NULL, 1, NULL, &store, &counts, &err);
        if (!rc)
            cqe_eval_setup_resolve(&es, counts.max_ts, counts.applied > 0);
    }
    if (rc)
        goto fail;
    if (!(view = cqe_view_build(store, &es.cfg, &err))) {
        rc = err.code;
        goto fail;
    }
    if ((rc = cqe_explain_build(view, &es.model, &es.periods[0], es.as_of, target, indicator, &rec, &err)))
        goto fail;
    if (json) {
        char *line = cqe_record_dumps(rec);
        if (!line) {
            rc = cqe_err_set(&err, CQE_ENOMEM, "out of memory printing the record");
            goto fail;
        }
        puts(line);
        free(line);
    } else {
        cqe_explain_print(rec, stdout);
    }
    status = 0;
    goto out;
fail:
    fprintf(stderr, "explain: %s\n", err.msg[0] ? err.msg : cqe_strerror(rc));
    status = status_of(rc);
out:
    fflush(stdout);
    cqe_explain_free(rec);
    cqe_view_free(view);
    cqe_store_free(store);
    cqe_eval_setup_fini(&es);
    return status;
}
