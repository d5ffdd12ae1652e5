/* Unit tests of the figures (processors/evaluate/fig_*.c) on small hand-made views, with
 * the values worked out by hand from docs/spec/semantics.md. */
#include <string.h>

#include "config.h"
#include "event.h"
#include "figures.h"
#include "timeutil.h"
#include "unit.h"
#include "view.h"

CQE_TEST(fig_vulns_level_out_of_range_counts_nothing)
{
    struct cqe_config cfg;
    cqe_config_defaults(&cfg);
    struct cqe_view v;
    memset(&v, 0, sizeof v);
    v.cfg = &cfg;
    /* level 9 is not a level: no deadline to judge it by, so it is left out */
    struct cqe_vuln vu[2] = {{0, 1000, 9, false, 0}, {0, 2000, CQE_VULN_CRITICAL, true, 3000}};
    v.vulns = vu;
    v.n_vulns = 2;
    struct cqe_period_eval pe;
    memset(&pe, 0, sizeof pe);
    pe.view = &v;
    pe.period.start_ms = 0;
    pe.period.end_ms = 86400000;
    pe.as_of = 86400000;
    struct cqe_target_figures f;
    memset(&f, 0, sizeof f);
    cqe_fig_vulns(&pe, CQE_NONE, &f);
    CHECK(f.leaf[CQE_LEAF_A4_2].has && f.leaf[CQE_LEAF_A4_2].v == 1.0);
    cqe_config_fini(&cfg);
}
