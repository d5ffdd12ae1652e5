/* Figures: the derivations of semantics.md computed from the read view for one period
 * and `as_of`: per service (availability), per target (every leaf and figure), per
 * department. Nothing here rounds; null values are `has == false`. */
#ifndef CQE_FIGURES_H
#define CQE_FIGURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "timeutil.h"
#include "view.h"

struct cqe_opt {
    bool has;
    double v;
};

struct cqe_evidence;

/* clang-format off */
#define CQE_LEAF_LIST(X)                                                                 \
    X(A1_1, "A1.1") X(A1_2, "A1.2") X(A2_1, "A2.1") X(A2_2, "A2.2") X(A2_3, "A2.3")      \
    X(A3_1, "A3.1") X(A3_2, "A3.2") X(A3_3, "A3.3") X(A4_1, "A4.1") X(A4_2, "A4.2")      \
    X(A5_1, "A5.1") X(A5_2, "A5.2") X(A5_3, "A5.3") X(B1_1, "B1.1") X(B1_2, "B1.2")      \
    X(B1_3, "B1.3") X(B2, "B2") X(B3, "B3") X(B4_1, "B4.1") X(B4_2, "B4.2") X(C1, "C1")  \
    X(C2, "C2") X(C3, "C3")

enum cqe_leaf {
#define CQE_LEAF_ENUM(e, s) CQE_LEAF_##e,
    CQE_LEAF_LIST(CQE_LEAF_ENUM)
#undef CQE_LEAF_ENUM
    CQE_LEAF__COUNT
};
/* clang-format on */

/* "A1.1", ... */
const char *cqe_leaf_name(enum cqe_leaf l);

struct cqe_service_figures {
    size_t service; /* index in view->services */
    const char *id; /* the service id (borrowed from the view), for ordering */
    size_t id_len;
    double agreed_s, maintenance_s, downtime_s;
    struct cqe_opt availability;
    bool sla_met;
    int64_t incidents, probe_down_minutes;
    struct cqe_opt probe_coverage;
};

/* The evaluation of one period at one as_of: its in-scope services computed once,
 * shared by every target. */
struct cqe_period_eval {
    const struct cqe_view *view;
    struct cqe_period period;
    int64_t as_of;
    int64_t span_end;                /* min(period end, as_of), never before the start */
    bool *in_scope;                  /* by service index, owned */
    size_t *inc_order;               /* incident indexes grouped by latest service, owned */
    size_t *inc_off;                 /* service s owns inc_order[inc_off[s] .. inc_off[s+1]), owned */
    struct cqe_service_figures *svc; /* in-scope services, sorted by id, owned */
    size_t n_svc;
};

/* Metric order of utilization figures. */
enum cqe_metric { CQE_M_CPU, CQE_M_MEM, CQE_M_DISK, CQE_M_NET, CQE_M__COUNT };
extern const char *const cqe_metric_names[CQE_M__COUNT];

struct cqe_target_figures {
    size_t target; /* provider index, or CQE_NONE for platform */
    struct cqe_opt leaf[CQE_LEAF__COUNT];
    int64_t services, incidents, maintenance_late_notice, incident_orphans;
    int64_t survey_unknown_answers, survey_responses;
    struct cqe_opt availability, mttr_s, probe_coverage;
    double agreed_s, maintenance_s, downtime_s;
    struct cqe_opt m_mean[CQE_M__COUNT], m_p50[CQE_M__COUNT], m_p95[CQE_M__COUNT], m_max[CQE_M__COUNT];
    char **veto; /* owned strings, sorted by incident id */
    size_t n_veto;
    struct cqe_evidence *ev; /* borrowed; when set, each figure records its items (evidence.h) */
};

struct cqe_dept_figures {
    size_t dept;
    struct cqe_opt availability, cpu_mean, mem_mean, survey_score;
    int64_t services, resources;
};

/* Computes the service figures of period p at as_of. Returns 0 or CQE_ENOMEM; release
 * with cqe_period_eval_fini. */
int cqe_period_eval_init(struct cqe_period_eval *pe, const struct cqe_view *v, const struct cqe_period *p,
                         int64_t as_of);
void cqe_period_eval_fini(struct cqe_period_eval *pe);

/* Computes every figure of a target (provider index or CQE_NONE = platform). */
int cqe_target_figures_compute(const struct cqe_period_eval *pe, size_t target,
                               struct cqe_target_figures *out);
void cqe_target_figures_fini(struct cqe_target_figures *f);

/* The same, also recording into ev (borrowed, evidence.h) the items behind every leaf:
 * what `cloudqe explain` shows. Returns 0 or CQE_ENOMEM. */
int cqe_target_figures_explain(const struct cqe_period_eval *pe, size_t target,
                               struct cqe_target_figures *out, struct cqe_evidence *ev);

/* Department figures. */
int cqe_dept_figures_compute(const struct cqe_period_eval *pe, size_t dept, struct cqe_dept_figures *out);

/* Internal pieces, one file each. */
int cqe_fig_service(const struct cqe_period_eval *pe, size_t service, struct cqe_service_figures *out);
/* cqe_fig_service on the same code path, also appending to the JSON object item (an
 * evidence item of ev) the intervals behind the down time: incidents (the one holding the
 * largest weight, ties to the smaller id), probe-down runs and excluded maintenance
 * windows, each with its seconds, plus what was not counted and why. Returns 0 or
 * CQE_ENOMEM. */
int cqe_fig_service_evidence(const struct cqe_period_eval *pe, size_t service,
                             struct cqe_service_figures *out, struct cqe_evidence *ev, void *item);
int cqe_fig_incidents(const struct cqe_period_eval *pe, size_t target, struct cqe_target_figures *out);
void cqe_fig_tickets(const struct cqe_period_eval *pe, size_t target, struct cqe_target_figures *out);
void cqe_fig_satisfaction(const struct cqe_period_eval *pe, size_t target, struct cqe_target_figures *out);
int cqe_fig_backups(const struct cqe_period_eval *pe, size_t target, struct cqe_target_figures *out);
int cqe_fig_drills(const struct cqe_period_eval *pe, size_t target, struct cqe_target_figures *out);
void cqe_fig_vulns(const struct cqe_period_eval *pe, size_t target, struct cqe_target_figures *out);
int cqe_fig_migrations(const struct cqe_period_eval *pe, size_t target, struct cqe_target_figures *out);
void cqe_fig_audit(const struct cqe_period_eval *pe, size_t target, struct cqe_target_figures *out);
int cqe_fig_utilization(const struct cqe_period_eval *pe, size_t target, struct cqe_target_figures *out);
int cqe_fig_assets(const struct cqe_period_eval *pe, size_t target, struct cqe_target_figures *out);

/* Down time (s) one incident causes on its own in the period: its weight over its
 * service's agreed time outside maintenance (overlaps with others not merged). */
double cqe_fig_incident_downtime(const struct cqe_period_eval *pe, size_t incident);

/* True when month index m lies in the period. */
bool cqe_period_has_month(const struct cqe_period *p, int64_t m);
/* Survey score (C1 formula) over SV aggregates matching target/dept filters. */
struct cqe_opt cqe_fig_survey_score(const struct cqe_period_eval *pe, size_t target, size_t dept,
                                    int64_t *unknown_answers, int64_t *responses);

/* Down seconds of service s over [from, to) into *down_s, as cqe_fig_service counts
 * them for a period (pe gives the view and the incident grouping; its period is not
 * used). Returns 0 or CQE_ENOMEM. */
int cqe_fig_window_down(const struct cqe_period_eval *pe, size_t s, int64_t from, int64_t to, double *down_s);

/* False when service s certainly has no down time in [from, to): no minute with more
 * failed than ok probes and no incident active there (a cheap filter before
 * cqe_fig_window_down). */
bool cqe_fig_window_may_be_down(const struct cqe_period_eval *pe, size_t s, int64_t from, int64_t to);

/* The end (ms) of the last minute with a probe result of service s, or -1 without one. */
int64_t cqe_fig_last_probe_end(const struct cqe_view *v, size_t s);

#endif
