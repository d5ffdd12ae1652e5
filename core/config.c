/* The configuration's entry points: defaults, loading a file or string over them (the
 * keys themselves are in config_eval.c and config_deploy.c, read through json_table),
 * and releasing what a load allocated. */
#include "config_int.h"

#include <stdio.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"

#define MAX_FILE_BYTES (64u << 20)

/* ---- defaults ---------------------------------------------------------------- */

/* The default survey dimensions are static; cqe_config_fini frees dims only when
 * they are not this array (a loaded survey_dimensions replaces it). */
static struct cqe_survey_dim default_dims[] = {
    {"服务态度", 1}, {"响应及时性", 1}, {"问题解决", 1}, {"服务能力", 1}, {"信息安全", 1},
};

void cqe_config_defaults(struct cqe_config *cfg)
{
    static const int64_t ack[5] = {0, 900, 1800, 7200, 28800};
    static const int64_t fix[5] = {0, 14400, 28800, 86400, 259200};
    static const double levels[5] = {0, 30, 60, 80, 100};

    memset(cfg, 0, sizeof *cfg);
    cfg->utc_offset_min = 480;
    cfg->maintenance_notice_s = 86400;
    cfg->degraded_weight = 0.5;
    memcpy(cfg->ack_s, ack, sizeof ack);
    memcpy(cfg->fix_s, fix, sizeof fix);
    cfg->rpo_target_s = 86400;
    cfg->drill_required[CQE_DRILL_DR] = 1;
    cfg->drill_required[CQE_DRILL_EMERGENCY] = 2;
    cfg->vuln_deadline_s[CQE_VULN_CRITICAL] = 604800;
    cfg->vuln_deadline_s[CQE_VULN_HIGH] = 1296000;
    cfg->vuln_deadline_s[CQE_VULN_MEDIUM] = 2592000;
    cfg->vuln_deadline_s[CQE_VULN_LOW] = 7776000;
    cfg->dims = default_dims;
    cfg->n_dims = sizeof default_dims / sizeof default_dims[0];
    memcpy(cfg->level_scores, levels, sizeof levels);
    cfg->idle_cpu_below = 0.10;
    cfg->idle_cpu_share = 0.95;
    cfg->idle_mem_below = 0.20;
    cfg->max_message_bytes = 1048576;
    cfg->dedup_window = 1000000;
    cfg->incident_pending_limit = 10000;
    cfg->clock = CQE_CLOCK_UNSET;
    cfg->redis.db = -1;
    cfg->redis.cluster = -1;
    cfg->snapshot_interval_s = 60;
    cfg->resolve_after_s = 300;
    cfg->no_data_after_s = 600;
    cfg->output_roll_s = 3600;
    cfg->output_max_bytes = 64 << 20;
    cfg->output_stream_max = 100000;
    cfg->alert_pass_ms = 250;
    cfg->max_pending_events = 1000000;
    cfg->dead_letter_raw_max = 65536;
}

void cqe_config_dims_free(struct cqe_config *cfg)
{
    if (cfg->dims && cfg->dims != default_dims) {
        for (size_t i = 0; i < cfg->n_dims; i++)
            free(cfg->dims[i].name);
        free(cfg->dims);
    }
}

void cqe_config_fini(struct cqe_config *cfg)
{
    for (size_t i = 0; i < cfg->n_services; i++) {
        free(cfg->services[i].id);
        free(cfg->services[i].provider);
        free(cfg->services[i].dept);
    }
    free(cfg->services);
    free(cfg->svc_by_id);
    json_decref(cfg->provider_names);
    free(cfg->holidays);
    free(cfg->workdays);
    cqe_config_dims_free(cfg);
    free(cfg->redis.url);
    free(cfg->redis.user);
    free(cfg->redis.password_file);
    free(cfg->redis.password_env);
    json_decref((json_t *)cfg->kafka);
    json_decref((json_t *)cfg->topics);
    free(cfg->output_dir);
    memset(cfg, 0, sizeof *cfg);
}

/* ---- entry points ---- */

static int load_buffer(struct cqe_config *cfg, const char *buf, size_t len, const char *origin,
                       struct cqe_err *err)
{
    const struct cqe_jt_keys top[] = {cqe_config_eval_keys, cqe_config_deploy_keys};
    struct cqe_config tmp;
    struct cqe_jt L;
    json_t *root = NULL;
    int rc = 0;

    cqe_config_defaults(&tmp);
    cqe_jt_init(&L, origin, err);
    if ((rc = cqe_jt_parse(&L, buf, len, &root)))
        goto out;
    if (!json_is_object(root)) {
        rc = cqe_jt_fail(&L, "the configuration must be a JSON object; got %s", cqe_jt_type_name(root));
        goto out;
    }
    rc = cqe_jt_object_parts(&L, root, top, sizeof top / sizeof top[0], &tmp);
out:
    json_decref(root);
    cqe_config_fini(cfg);
    if (rc) {
        cqe_config_fini(&tmp);
        cqe_config_defaults(cfg);
    } else {
        *cfg = tmp;
    }
    return rc;
}

int cqe_config_load_string(struct cqe_config *cfg, const char *json, const char *origin, struct cqe_err *err)
{
    return load_buffer(cfg, json, strlen(json), origin, err);
}

int cqe_config_load(struct cqe_config *cfg, const char *path, struct cqe_err *err)
{
    char *buf = NULL;
    size_t len = 0;
    int rc = cqe_jt_read_file(path, MAX_FILE_BYTES, "a configuration file", &buf, &len, err);
    if (rc) {
        cqe_config_fini(cfg);
        cqe_config_defaults(cfg);
        return rc;
    }
    /* load_buffer leaves cfg loaded, or holding defaults on error */
    rc = load_buffer(cfg, buf, len, path, err);
    free(buf);
    return rc;
}
