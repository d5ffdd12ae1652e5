/* The read view: everything figures need, parsed once from a (merged) store. Services
 * with their attribution and probe minutes, incidents with their derived activity and
 * attributes, maintenance windows, tickets, vulnerabilities, migrations, assets, and
 * the per-month aggregate cells of the other families. Borrows the store: build it,
 * compute, free it, before the store changes. */
#ifndef CQE_VIEW_H
#define CQE_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "err.h"
#include "intervals.h"
#include "store.h"
#include "strmap.h"

#define CQE_NONE SIZE_MAX
#define CQE_TS_INF INT64_MAX

struct cqe_probe_minute {
    int64_t minute; /* UTC minute index */
    int64_t ok, fail;
};

struct cqe_service {
    size_t provider; /* index in view->providers */
    size_t dept;     /* index in view->depts, or CQE_NONE */
    double target, weight;
    enum cqe_calendar calendar;
    bool in_catalog;
    /* attribution from the earliest open/probe (not catalog) */
    bool has_attr;
    int64_t attr_ts;
    char *attr_id; /* owned */
    bool has_probe;
    struct cqe_probe_minute *pm; /* sorted by minute, owned */
    size_t n_pm, cap_pm;
    int64_t *probe_months; /* months with probes, owned */
    size_t n_probe_months, cap_probe_months;
};

struct cqe_incident {
    size_t id; /* index in view->incident_ids */
    bool has_open;
    int64_t open_ts;
    size_t provider; /* of the first open */
    size_t dept;     /* of the first open, CQE_NONE when absent */
    size_t service;  /* latest service, CQE_NONE when never set */
    int severity;    /* latest; 0 when never set */
    int impact;      /* enum cqe_impact */
    double scope;
    int cause; /* enum cqe_cause */
    char *category; /* owned, NULL when never set */
    bool data_loss;
    bool has_ack, has_resolve;
    int64_t ack_ts, resolve_ts; /* first */
    struct cqe_ivl active;      /* activity; an open end is CQE_TS_INF */
    bool active_at_end;
    /* orphans: every event when there is no open (ts, provider) */
    size_t n_events;
    int64_t *ev_ts;
    size_t *ev_provider;
};

struct cqe_window {
    bool scheduled; /* latest event is a schedule */
    int64_t latest_ts, start, end;
    size_t provider;
    size_t service; /* CQE_NONE = every service of the provider */
};

struct cqe_ticket {
    size_t provider;
    int64_t open_ts, due;
    bool complaint, has_close;
    int64_t close_ts;
};

struct cqe_vuln {
    size_t provider;
    int64_t found_ts;
    int level;
    bool has_fixed;
    int64_t fixed_ts;
};

struct cqe_migration_done {
    size_t migration; /* index in view->migrations */
    int64_t ts;
    size_t provider;
    bool ok, verified;
};

struct cqe_asset_event {
    size_t asset;
    int64_t ts;
    char *id; /* owned */
    int action, asset_class;
    bool domestic;
    size_t provider;
};

enum cqe_agg_family { CQE_AGG_U, CQE_AGG_UD, CQE_AGG_UDR, CQE_AGG_UR, CQE_AGG_TF, CQE_AGG_SV,
                      CQE_AGG_B, CQE_AGG_BS, CQE_AGG_D, CQE_AGG_AU };

/* One per-month aggregate cell with its parsed key. */
struct cqe_agg {
    enum cqe_agg_family fam;
    int64_t month;
    size_t provider; /* CQE_NONE for department families */
    size_t aux;      /* dept (UD, UDR, SV), service (BS), resource (UR), drill kind (D) */
    const struct cqe_cell *cell;
};

struct cqe_view {
    const struct cqe_config *cfg;
    int64_t max_ts; /* largest ts applied; 0 with no event */
    struct cqe_strmap providers, depts, services, resources, incident_ids, migration_ids,
        asset_ids;
    struct cqe_service *svc; /* by services index */
    size_t svc_cap;
    struct cqe_incident *inc; /* by incident_ids index */
    struct cqe_window *win;
    size_t n_win, cap_win;
    struct cqe_ticket *tickets;
    size_t n_tickets, cap_tickets;
    struct cqe_vuln *vulns;
    size_t n_vulns, cap_vulns;
    int64_t *mig_plan_end; /* by migration_ids index; has_plan below */
    bool *mig_has_plan;
    struct cqe_migration_done *mig_done;
    size_t n_mig_done, cap_mig_done;
    struct cqe_asset_event *assets;
    size_t n_assets, cap_assets;
    struct cqe_agg *aggs;
    size_t n_aggs, cap_aggs;
};

/* Builds the view of store under cfg (both borrowed and must outlive the view).
 * Returns an owned view (cqe_view_free) or NULL with err set. */
struct cqe_view *cqe_view_build(const struct cqe_store *store, const struct cqe_config *cfg,
                                struct cqe_err *err);
void cqe_view_free(struct cqe_view *v);

#endif
