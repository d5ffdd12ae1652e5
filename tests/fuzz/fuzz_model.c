/* libFuzzer target for the indicator model loader (make fuzz): any bytes in, a model that
 * keeps model.md's rules or a refusal naming the origin and a JSON path, and no crash,
 * leak or undefined behaviour; an accepted model scores every figure into [0, 100]. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_text.h"
#include "model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t check_node(const struct cqe_node *n)
{
    size_t leaves = 0;
    if (!n->id || !n->name || !n->en || !(n->weight > 0))
        abort();
    if (!n->n_children) {
        if (!n->figure || !n->n_curve)
            abort();
        for (size_t i = 0; i < n->n_curve; i++)
            if (!(n->curve[i][1] >= 0 && n->curve[i][1] <= 100) ||
                (i && !(n->curve[i][0] > n->curve[i - 1][0])))
                abort();
        return 1;
    }
    if (n->figure || n->curve)
        abort();
    for (size_t i = 0; i < n->n_children; i++)
        leaves += check_node(&n->children[i]);
    return leaves;
}

static void check_loaded(const struct cqe_model *m)
{
    if (!m->root.n_children || !m->n_grades || m->grades[m->n_grades - 1].has_min)
        abort();
    for (size_t i = 0; i + 1 < m->n_grades; i++)
        if (!m->grades[i].has_min || (i && !(m->grades[i].min < m->grades[i - 1].min)))
            abort();
    check_node(&m->root);
    /* every figure at a middling value: the score is a mean of curve points */
    struct cqe_target_figures f;
    struct cqe_score s;
    memset(&f, 0, sizeof f);
    for (int l = 0; l < CQE_LEAF__COUNT; l++)
        f.leaf[l] = (struct cqe_opt){true, 0.5};
    f.availability = f.mttr_s = f.probe_coverage = (struct cqe_opt){true, 0.5};
    if (cqe_score_compute(m, &f, &s))
        return;
    for (size_t i = 0; i < s.n; i++)
        if (s.nodes[i].evaluable && !(s.nodes[i].score >= 0 && s.nodes[i].score <= 100))
            abort();
    if (s.has_score && !s.grade)
        abort();
    cqe_score_fini(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cqe_model m;
    struct cqe_err err = {0};
    char *buf = fuzz_cstring(data, size);
    if (!buf)
        return 0;
    int rc = cqe_model_load_string(&m, buf, "fuzz.json", &err);
    if (rc == 0)
        check_loaded(&m);
    else if (rc == CQE_ECONFIG &&
             (strncmp(err.msg, "fuzz.json: ", 11) || !utf8_ok(err.msg) || m.root.children || m.grades))
        abort(); /* a refusal names the origin and leaves nothing loaded */
    else if (rc != 0 && rc != CQE_ECONFIG && rc != CQE_ENOMEM)
        abort();
    cqe_model_fini(&m);
    free(buf);
    return 0;
}
