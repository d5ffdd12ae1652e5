/* Alert decisions (outputs.md, "Alerts"): the burn-rate rules, sla_breach and no_data,
 * evaluated on merged state at an event-time "now", against the state every alert kept
 * from the last pass. A pass yields transitions only: each alert fires once and
 * resolves once, after its condition has been false for resolve_after_s. */
#ifndef CQE_ALERTS_H
#define CQE_ALERTS_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "strmap.h"
#include "view.h"

/* A burn-rate rule: both windows' burn above factor. */
struct cqe_burn_rule {
    const char *name, *severity;
    int64_t long_s, short_s;
    double factor;
};

/* burn_1h_5m page 14.4, burn_6h_30m page 6, burn_1d_2h ticket 3, burn_3d_6h ticket 1. */
extern const struct cqe_burn_rule cqe_burn_rules_default[4];

/* One change of an alert's kept state (field "<rule>|<service>"; before / after: the
 * kept state, "" = none), or one record to emit (field NULL; key: the service, record:
 * the text). All owned. */
struct cqe_alert_change {
    char *field, *before, *after;
    char *key, *record;
};

struct cqe_alert_changes {
    struct cqe_alert_change *v;
    size_t n, cap;
    size_t records; /* of v, records */
};

void cqe_alert_changes_free(struct cqe_alert_changes *c);

/* Decides one pass: the burn-rate rules and no_data at event times stepping from just
 * after `from` to `now` (ms; one step a minute, coarser past CQE_ALERT_STEPS steps;
 * from >= now: at now only), so that a stream applied faster than the passes still
 * meets every rule's windows; sla_breach (month to date) at now. Services that cannot
 * have changed are skipped cheaply. kept maps a field to its kept state (keys and the
 * parallel array states, borrowed). Appends the records (each service's in event-time
 * order), then the state changes, to out (owned by the caller). Returns 0 or CQE_ENOMEM. */
#define CQE_ALERT_STEPS 1440
int cqe_alerts_decide(const struct cqe_view *v, const struct cqe_config *cfg,
                      const struct cqe_burn_rule *rules, size_t n_rules, int64_t from, int64_t now,
                      const struct cqe_strmap *kept, char *const *states, struct cqe_alert_changes *out,
                      struct cqe_err *err);

/* The earliest probe minute's start over every service of v (ms), or -1 without any. */
int64_t cqe_alerts_first_probe(const struct cqe_view *v);

/* The alert id of (rule, service, since): 16 hex digits of SHA-256 over
 * "<rule>|<service>|<since ms>", so the same decision always carries the same id. */
void cqe_alert_id(const char *rule, const char *service, size_t service_len, int64_t since, char out[17]);

#endif
