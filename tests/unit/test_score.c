/* Unit tests of scoring (processors/evaluate/model.c) against docs/spec/model.md:
 * piecewise-linear curves, weighted means, re-normalisation over what is evaluable,
 * grade bands and the veto, on a small model worked out by hand. */
#include <math.h>
#include <string.h>

#include "figures.h"
#include "model.h"
#include "unit.h"

/* Two dimensions: X (weight 3) with leaves A1.1 (2) and A2.1 (1), Y (weight 1) with
 * leaf C2 (1). Curves: A1.1 [[0.99,0],[1,100]], A2.1 and C2 [[0,0],[1,100]]. */
static const char model_json[] =
    "{\"grades\":[{\"name\":\"优秀\",\"en\":\"excellent\",\"min\":90},"
    "{\"name\":\"良好\",\"en\":\"good\",\"min\":75},{\"name\":\"合格\",\"en\":\"pass\",\"min\":60},"
    "{\"name\":\"不合格\",\"en\":\"fail\",\"min\":null}],"
    "\"veto\":{\"security_sev1\":true,\"data_loss\":true},\"tree\":["
    "{\"id\":\"X\",\"name\":\"x\",\"en\":\"x\",\"weight\":3,\"children\":["
    "{\"id\":\"A1.1\",\"name\":\"a\",\"en\":\"a\",\"weight\":2,\"figure\":\"A1.1\","
    "\"curve\":[[0.99,0],[1,100]]},"
    "{\"id\":\"A2.1\",\"name\":\"b\",\"en\":\"b\",\"weight\":1,\"figure\":\"A2.1\","
    "\"curve\":[[0,0],[1,100]]}]},"
    "{\"id\":\"Y\",\"name\":\"y\",\"en\":\"y\",\"weight\":1,\"children\":["
    "{\"id\":\"C2\",\"name\":\"c\",\"en\":\"c\",\"weight\":1,\"figure\":\"C2\","
    "\"curve\":[[0,0],[1,100]]}]}]}";

static bool near(double a, double b)
{
    return fabs(a - b) < 1e-9;
}

/* Scores f under the test model: true when the score is want (NAN: no score) and the
 * grade's English name is grade (NULL: no grade). */
static bool scored(const struct cqe_target_figures *f, double want, const char *grade)
{
    struct cqe_model m;
    struct cqe_err err = {0};
    struct cqe_score sc;
    memset(&m, 0, sizeof m);
    memset(&sc, 0, sizeof sc);
    bool ok = false;
    if (cqe_model_load_string(&m, model_json, "test model", &err)) {
        fprintf(stderr, "%s\n", err.msg);
        goto out;
    }
    if (cqe_score_compute(&m, f, &sc))
        goto out;
    ok = isnan(want) ? !sc.has_score : sc.has_score && near(sc.score, want);
    ok = ok && (grade ? sc.grade && !strcmp(sc.grade->en, grade) : !sc.grade);
    if (!ok)
        fprintf(stderr, "score %d %.6f grade %s\n", sc.has_score, sc.score, sc.grade ? sc.grade->en : "none");
out:
    cqe_score_fini(&sc);
    cqe_model_fini(&m);
    return ok;
}

CQE_TEST(score_weighted_mean_and_grade)
{
    struct cqe_target_figures f;
    memset(&f, 0, sizeof f);
    f.leaf[CQE_LEAF_A1_1] = (struct cqe_opt){true, 0.995}; /* halfway: 50 */
    f.leaf[CQE_LEAF_A2_1] = (struct cqe_opt){true, 1.0};   /* 100 */
    f.leaf[CQE_LEAF_C2] = (struct cqe_opt){true, 0.8};     /* 80 */
    /* X = (2*50 + 1*100) / 3 = 66.67; total = (3*66.67 + 1*80) / 4 = 70: pass */
    CHECK(scored(&f, 70.0, "pass"));
}

CQE_TEST(score_renormalises_over_evaluable_leaves)
{
    struct cqe_target_figures f;
    memset(&f, 0, sizeof f);
    f.leaf[CQE_LEAF_A1_1] = (struct cqe_opt){true, 1.0}; /* 100; A2.1 not evaluable */
    f.leaf[CQE_LEAF_C2] = (struct cqe_opt){true, 0.6};   /* 60 */
    /* X = 100 (A2.1's weight drops out); total = (3*100 + 60) / 4 = 90: excellent */
    CHECK(scored(&f, 90.0, "excellent"));
    /* Y not evaluable at all: total = X alone */
    f.leaf[CQE_LEAF_C2] = (struct cqe_opt){false, 0};
    f.leaf[CQE_LEAF_A2_1] = (struct cqe_opt){true, 0.5};
    CHECK(scored(&f, (2 * 100 + 50) / 3.0, "good")); /* 83.33 */
    /* nothing evaluable: no score, no grade */
    memset(&f, 0, sizeof f);
    CHECK(scored(&f, NAN, NULL));
}

CQE_TEST(score_curves_flat_beyond_ends_and_veto)
{
    struct cqe_target_figures f;
    memset(&f, 0, sizeof f);
    f.leaf[CQE_LEAF_A1_1] = (struct cqe_opt){true, 0.5}; /* below 0.99: 0 */
    f.leaf[CQE_LEAF_A2_1] = (struct cqe_opt){true, 2.0}; /* above 1: 100 */
    f.leaf[CQE_LEAF_C2] = (struct cqe_opt){true, 1.0};
    /* X = (0 + 100) / 3 = 33.33; total = (100 + 100) / 4 = 50: fail */
    CHECK(scored(&f, 50.0, "fail"));
    /* a perfect score with a data-loss veto still fails */
    f.leaf[CQE_LEAF_A1_1] = (struct cqe_opt){true, 1.0};
    f.leaf[CQE_LEAF_A2_1] = (struct cqe_opt){true, 1.0};
    char veto[] = "data_loss:I1";
    char *vs[1] = {veto};
    f.veto = vs;
    f.n_veto = 1;
    CHECK(scored(&f, 100.0, "fail"));
}

CQE_TEST(score_grade_band_edges)
{
    struct cqe_target_figures f;
    memset(&f, 0, sizeof f);
    /* C2 alone (X not evaluable): the score is C2's value x 100 */
    const double at[] = {0.9, 0.8999, 0.75, 0.6, 0.5999};
    const char *const grade[] = {"excellent", "good", "good", "pass", "fail"};
    for (int i = 0; i < 5; i++) {
        f.leaf[CQE_LEAF_C2] = (struct cqe_opt){true, at[i]};
        CHECK(scored(&f, 100 * at[i], grade[i]));
    }
}
