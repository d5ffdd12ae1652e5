/* Private to the configuration loader (config.c, config_eval.c, config_deploy.c): the key
 * table of each idea, which together make the top-level object, and what they share. */
#ifndef CQE_CONFIG_INT_H
#define CQE_CONFIG_INT_H

#include "config.h"
#include "json_table.h"

#define CQE_MAX_SECONDS 3153600000.0 /* 100 years of 365 days: timestamps span 2000-2101 */

/* The top-level keys, evaluation first (config_eval.c), then deployment (config_deploy.c). */
extern const struct cqe_jt_keys cqe_config_eval_keys;
extern const struct cqe_jt_keys cqe_config_deploy_keys;

/* Releases loaded survey dimensions (never the static defaults); leaves dims dangling
 * for the caller to replace. */
void cqe_config_dims_free(struct cqe_config *cfg);

#endif
