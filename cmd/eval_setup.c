/* Shared set-up of the evaluating commands (see eval_setup.h). */
#include "eval_setup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "records.h"
#include "replay_load.h"
#include "snapshots.h"

/* Parses the --period ids (in the offset) into periods and as_of_text (NULL: none) into
 * *as_of; returns 0 or CQE_EINVAL naming the option and the forms accepted. */
static int parse_args(const char *const *period_ids, size_t n_period_ids, const char *as_of_text,
                      int offset_min, struct cqe_period *periods, int64_t *as_of, struct cqe_err *err)
{
    if (n_period_ids > CQE_MAX_PERIODS)
        return cqe_err_set(err, CQE_EINVAL, "at most %d --period options", CQE_MAX_PERIODS);
    for (size_t i = 0; i < n_period_ids; i++)
        if (cqe_period_parse(period_ids[i], offset_min, &periods[i]))
            return cqe_err_set(err, CQE_EINVAL, "--period %s: use 2026, 2026-Q1 or 2026-03", period_ids[i]);
    if (as_of_text && cqe_time_parse_rfc3339(as_of_text, strlen(as_of_text), as_of))
        return cqe_err_set(err, CQE_EINVAL,
                           "--as-of %s: use RFC 3339 with an offset, e.g. 2026-03-31T00:00:00+08:00",
                           as_of_text);
    return 0;
}

int cqe_eval_setup_init(struct cqe_eval_setup *s, const char *config_path, const char *model_path,
                        const char *const *period_ids, size_t n_period_ids, const char *as_of_text,
                        struct cqe_err *err)
{
    memset(s, 0, sizeof *s);
    cqe_config_defaults(&s->cfg);
    int rc;
    if (config_path && (rc = cqe_config_load(&s->cfg, config_path, err)))
        return rc;
    rc = model_path ? cqe_model_load_file(&s->model, model_path, err)
                    : cqe_model_load_string(&s->model, cqe_default_model_json, "default model", err);
    if (rc)
        return rc;
    s->model_loaded = true;
    if ((rc = parse_args(period_ids, n_period_ids, as_of_text, s->cfg.utc_offset_min, s->periods, &s->as_of,
                         err)))
        return rc;
    s->n_periods = n_period_ids;
    s->has_as_of = as_of_text != NULL;
    return 0;
}

int cqe_eval_setup_check_args(const char *const *period_ids, size_t n_period_ids, const char *as_of_text,
                              struct cqe_err *err)
{
    struct cqe_period periods[CQE_MAX_PERIODS];
    int64_t as_of;
    return parse_args(period_ids, n_period_ids, as_of_text, 0, periods, &as_of, err);
}

void cqe_eval_setup_resolve(struct cqe_eval_setup *s, int64_t largest_ts, bool any_event)
{
    if (!s->has_as_of)
        s->as_of = (s->cfg.clock == CQE_CLOCK_WALL || !any_event) ? cqe_wall_ms() : largest_ts;
    if (!s->n_periods) {
        cqe_default_periods(s->as_of, s->cfg.utc_offset_min, s->periods);
        s->n_periods = 3;
    }
}

void cqe_eval_setup_fini(struct cqe_eval_setup *s)
{
    if (s->model_loaded)
        cqe_model_fini(&s->model);
    cqe_config_fini(&s->cfg);
    s->model_loaded = false;
}

int cqe_eval_setup_load_state(struct cqe_eval_setup *s, const char *state_url, struct cqe_redis **r,
                              struct cqe_store **store, struct cqe_redis_counts *counts, struct cqe_err *err)
{
    struct cqe_redis_conf rc_conf = s->cfg.redis;
    int rc;
    if (state_url)
        rc_conf.url = (char *)state_url;
    if (!rc_conf.url)
        return cqe_err_set(err, CQE_ECONFIG, "no Redis: give --state redis://HOST:PORT/DB or redis.url");
    if (!(*store = cqe_store_new()))
        return cqe_err_set(err, CQE_ENOMEM, "out of memory");
    if ((rc = cqe_redis_connect(&rc_conf, r, err)) ||
        (rc = cqe_redis_load_state(*r, CQE_REDIS_NS, *store, err)) ||
        (rc = cqe_redis_load_counts(*r, CQE_REDIS_NS, counts, err)))
        return rc;
    /* as replay: the largest event ts applied, unless the clock is the wall's */
    const struct cqe_cell *ts = cqe_store_get(*store, cqe_key_max_ts, strlen(cqe_key_max_ts),
                                              CQE_FIELD_MAX_TS, strlen(CQE_FIELD_MAX_TS), CQE_OP_MAX);
    cqe_eval_setup_resolve(s, ts ? (int64_t)ts->d : 0, counts->applied > 0 && ts);
    return 0;
}

int cqe_print_record(void *record, void *arg)
{
    (void)arg;
    char *line = cqe_record_dumps(record);
    if (!line)
        return CQE_ENOMEM;
    fputs(line, stdout);
    fputc('\n', stdout);
    free(line);
    return 0;
}
