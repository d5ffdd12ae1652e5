/* What every evaluating command (replay, report, snapshot) sets up the same way: the
 * configuration, the model, the --period ids and --as-of, and NDJSON printing. */
#ifndef CQE_EVAL_SETUP_H
#define CQE_EVAL_SETUP_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "model.h"
#include "state_redis.h"
#include "store.h"
#include "timeutil.h"

#define CQE_MAX_PERIODS 64

struct cqe_eval_setup {
    struct cqe_config cfg;
    struct cqe_model model;
    bool model_loaded;
    struct cqe_period periods[CQE_MAX_PERIODS];
    size_t n_periods;
    bool has_as_of;
    int64_t as_of;
};

/* Loads the configuration (config_path NULL = defaults) and the model (model_path NULL
 * = the built-in default), parses period ids and as_of_text (NULL = none). Returns 0 or
 * a negative rc with err naming the option; release with cqe_eval_setup_fini either way. */
int cqe_eval_setup_init(struct cqe_eval_setup *s, const char *config_path, const char *model_path,
                        const char *const *period_ids, size_t n_period_ids, const char *as_of_text,
                        struct cqe_err *err);

/* Checks the form of the --period ids and of as_of_text (NULL = none) before anything
 * is loaded, so that a mistyped value is a usage error (exit 2) found at once. Returns 0
 * or CQE_EINVAL with err naming the option and the forms accepted. */
int cqe_eval_setup_check_args(const char *const *period_ids, size_t n_period_ids, const char *as_of_text,
                              struct cqe_err *err);

/* Sets as_of when --as-of was not given (the clock rule: event time, or the wall clock
 * with clock "wall" or no event), and the default periods (month, quarter and year
 * holding as_of) when no --period was given. */
void cqe_eval_setup_resolve(struct cqe_eval_setup *s, int64_t largest_ts, bool any_event);

void cqe_eval_setup_fini(struct cqe_eval_setup *s);

/* What `snapshot` and `retain` read first: connects to state_url (NULL: the
 * configuration's redis.url), loads every partition's state merged into *store and the
 * outcome counts, and resolves as_of and the periods as a replay of the same events
 * would (the largest event ts applied). *r and *store are owned by the caller (freed
 * by it on error too). Returns 0 or a negative rc with err set. */
int cqe_eval_setup_load_state(struct cqe_eval_setup *s, const char *state_url, struct cqe_redis **r,
                              struct cqe_store **store, struct cqe_redis_counts *counts, struct cqe_err *err);

/* Record callback printing one NDJSON line on stdout (arg unused). */
int cqe_print_record(void *record, void *arg);

#endif
