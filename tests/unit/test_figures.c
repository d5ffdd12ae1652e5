/* Unit tests of the figures (processors/evaluate/fig_*.c) on small hand-made views, with
 * the values worked out by hand from docs/spec/semantics.md. */
#include <string.h>

#include "config.h"
#include "event.h"
#include "figures.h"
#include "timeutil.h"
#include "unit.h"
#include "view.h"

/* A hand-made view under the default configuration, evaluated over the first day of
 * 1970 at as_of; the caller fills the view's arrays. */
struct small {
    struct cqe_config cfg;
    struct cqe_view v;
    struct cqe_period_eval pe;
    struct cqe_target_figures f;
};

static void small_init(struct small *t, int64_t as_of)
{
    memset(t, 0, sizeof *t);
    cqe_config_defaults(&t->cfg);
    t->v.cfg = &t->cfg;
    t->pe.view = &t->v;
    t->pe.period.end_ms = 86400000;
    t->pe.as_of = as_of;
}

CQE_TEST(fig_vulns_level_out_of_range_counts_nothing)
{
    struct small t;
    small_init(&t, 86400000);
    /* level 9 is not a level: no deadline to judge it by, so it is left out */
    struct cqe_vuln vu[2] = {{0, 1000, 9, false, 0}, {0, 2000, CQE_VULN_CRITICAL, true, 3000}};
    t.v.vulns = vu;
    t.v.n_vulns = 2;
    cqe_fig_vulns(&t.pe, CQE_NONE, &t.f);
    CHECK(t.f.leaf[CQE_LEAF_A4_2].has && t.f.leaf[CQE_LEAF_A4_2].v == 1.0);
    cqe_config_fini(&t.cfg);
}

#include "store.h"

/* The view of store s and the evaluation of March 2026 at its end; returns the view
 * (NULL when it did not build; *ok then false) and fills *pe when *ok. */
static struct cqe_view *march_2026(const struct cqe_store *s, const struct cqe_config *cfg,
                                   struct cqe_period_eval *pe, bool *ok)
{
    struct cqe_err err;
    struct cqe_period p;
    struct cqe_view *v = cqe_view_build(s, cfg, &err);
    *ok = v && cqe_period_parse("2026-03", cfg->utc_offset_min, &p) == 0 &&
          cqe_period_eval_init(pe, v, &p, p.end_ms) == 0;
    return v;
}

/* One service s1 of p1 (attributed by its first probe), one probe-down minute in March
 * 2026, judged at the month's end: agreed 31 days = 2678400 s, down 60 s. */
CQE_TEST(fig_availability_of_one_down_minute)
{
    struct cqe_config cfg;
    cqe_config_defaults(&cfg);
    struct cqe_store *s = cqe_store_new();
    cqe_store_vec_add(s, "P|s1|2026-03-01", 15, "", 0, 2880, 2 * 553 + 1, 2);
    cqe_store_vec_add(s, "P|s1|2026-03-01", 15, "", 0, 2880, 2 * 553, 1);
    cqe_store_vec_add(s, "P|s1|2026-03-01", 15, "", 0, 2880, 2 * 554, 1); /* up: ok only */
    cqe_store_set_add(s, "PS|2026-03", 10, "s1", 2);
    cqe_store_reg(s, CQE_OP_REG_MIN, "PF|s1", 5, "", 0, 1772327580000, "e1", 2, "p1|", 3);
    struct cqe_period_eval pe;
    bool ok;
    struct cqe_view *v = march_2026(s, &cfg, &pe, &ok);
    CHECK(ok);
    if (ok) {
        CHECK(pe.n_svc == 1);
        const struct cqe_service_figures *sf = &pe.svc[0];
        CHECK(sf->agreed_s == 2678400 && sf->downtime_s == 60 && sf->probe_down_minutes == 1);
        CHECK(sf->availability.has && sf->availability.v == 1 - 60.0 / 2678400);
        CHECK(!sf->sla_met || sf->availability.v >= 0.999);
        struct cqe_target_figures f;
        CHECK(cqe_target_figures_compute(&pe, CQE_NONE, &f) == 0);
        CHECK(f.leaf[CQE_LEAF_A1_1].has && f.leaf[CQE_LEAF_A1_1].v == 1 - 60.0 / 2678400);
        CHECK(f.leaf[CQE_LEAF_A5_1].has && f.leaf[CQE_LEAF_A5_1].v == 1.0); /* >= 0.999 */
        CHECK(f.services == 1);
        cqe_target_figures_fini(&f);
        cqe_period_eval_fini(&pe);
    }
    cqe_view_free(v);
    cqe_store_free(s);
    cqe_config_fini(&cfg);
}

/* Tickets (A2.3, C3): t1 closed before due (on time), t2 open past due at as_of (late),
 * t3 due after as_of and open (pending, not counted); one complaint in three. */
CQE_TEST(fig_tickets_on_time_pending_late)
{
    struct small x;
    small_init(&x, 10000);
    struct cqe_ticket t[3] = {{0, 1000, 5000, false, true, 4000},
                              {0, 2000, 6000, true, false, 0},
                              {0, 3000, 90000, false, false, 0}};
    x.v.tickets = t;
    x.v.n_tickets = 3;
    cqe_fig_tickets(&x.pe, CQE_NONE, &x.f);
    CHECK(x.f.leaf[CQE_LEAF_A2_3].has && x.f.leaf[CQE_LEAF_A2_3].v == 0.5);
    CHECK(x.f.leaf[CQE_LEAF_C3].has && x.f.leaf[CQE_LEAF_C3].v == 100.0 / 3);
    CHECK(!x.f.leaf[CQE_LEAF_C2].has); /* no follow-ups */
    cqe_config_fini(&x.cfg);
}

#include "apply.h"

/* Idle share B1.3 from the 4-entry UR vectors: vm-a has only busy cpu samples (a vector
 * with one entry, cw, kept sparse), vm-b low cpu all month and 10 % memory (idle by
 * idle_cpu_share 0.95 and idle_mem_below 0.20), vm-c memory only (no cpu weight: not
 * counted). Idle share = 1 idle of 2 with cpu = 0.5. */
CQE_TEST(fig_idle_share_from_sparse_and_dense_resource_vectors)
{
    struct cqe_config cfg;
    cqe_config_defaults(&cfg);
    struct cqe_store *s = cqe_store_new();
    const uint32_t a_i[] = {CQE_UR_CW}, b_i[] = {CQE_UR_CW, CQE_UR_CL, CQE_UR_MW, CQE_UR_MS};
    const uint32_t c_i[] = {CQE_UR_MW, CQE_UR_MS};
    const int64_t a_d[] = {600}, b_d[] = {600, 600, 600, (int64_t)(0.10 * CQE_UR_MEM_SCALE) * 600};
    const int64_t c_d[] = {600, (int64_t)(0.05 * CQE_UR_MEM_SCALE) * 600};
    CHECK(cqe_store_vec_add_n(s, "UR|2026-03|p1|vm-a", 18, "i", 1, CQE_UR_LEN, a_i, a_d, 1) == 0);
    CHECK(cqe_store_vec_add_n(s, "UR|2026-03|p1|vm-b", 18, "i", 1, CQE_UR_LEN, b_i, b_d, 4) == 0);
    CHECK(cqe_store_vec_add_n(s, "UR|2026-03|p1|vm-c", 18, "i", 1, CQE_UR_LEN, c_i, c_d, 2) == 0);
    const struct cqe_cell *a = cqe_store_get(s, "UR|2026-03|p1|vm-a", 18, "i", 1, CQE_OP_VEC);
    CHECK(a && a->vec_idx != NULL); /* the shape this test is about */
    struct cqe_period_eval pe;
    bool ok;
    struct cqe_view *v = march_2026(s, &cfg, &pe, &ok);
    CHECK(ok);
    if (ok) {
        struct cqe_target_figures f;
        CHECK(cqe_target_figures_compute(&pe, CQE_NONE, &f) == 0);
        CHECK(f.leaf[CQE_LEAF_B1_3].has && f.leaf[CQE_LEAF_B1_3].v == 0.5);
        cqe_target_figures_fini(&f);
        cqe_period_eval_fini(&pe);
    }
    cqe_view_free(v);
    cqe_store_free(s);
    cqe_config_fini(&cfg);
}
