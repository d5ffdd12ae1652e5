/* The explain record (see explain.h): figures with evidence for one target and period,
 * scored under the model, then the node asked for with its contributions or its leaf's
 * curve and evidence. */
#include "explain.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "evidence.h"
#include "json_fields.h"

/* What one explanation reads: the scored tree and where the node sits in it. */
struct ctx {
    const struct cqe_model *m;
    const struct cqe_score *sc;
    const struct cqe_target_figures *f;
    struct cqe_evidence *ev;
};

static const struct cqe_node_score *score_of(const struct ctx *c, const struct cqe_node *n)
{
    for (size_t i = 0; i < c->sc->n; i++)
        if (c->sc->nodes[i].node == n)
            return &c->sc->nodes[i];
    return NULL;
}

/* Σ weight of parent's evaluable children. */
static double evaluable_weight(const struct ctx *c, const struct cqe_node *parent)
{
    double den = 0;
    for (size_t i = 0; i < parent->n_children; i++)
        if (score_of(c, &parent->children[i])->evaluable)
            den += parent->children[i].weight;
    return den;
}

/* The share of child in parent's score: weight over the evaluable siblings' (0 when
 * the child is not evaluable). */
static double share_in(const struct ctx *c, const struct cqe_node *parent, const struct cqe_node *child)
{
    double den = evaluable_weight(c, parent);
    return score_of(c, child)->evaluable && den > 0 ? child->weight / den : 0;
}

/* Depth-first search for id: fills path[0..*depth) with the nodes from the root. */
static bool find_node(const struct cqe_node *n, const char *id, const struct cqe_node **path, size_t *depth,
                      size_t max)
{
    if (*depth == max)
        return false;
    path[(*depth)++] = n;
    if (!strcmp(n->id, id))
        return true;
    for (size_t i = 0; i < n->n_children; i++)
        if (find_node(&n->children[i], id, path, depth, max))
            return true;
    (*depth)--;
    return false;
}

static void append_ids(const struct cqe_node *n, char *buf, size_t cap)
{
    size_t len = strlen(buf);
    if (len + strlen(n->id) + 3 < cap)
        snprintf(buf + len, cap - len, "%s%s", len ? ", " : "", n->id);
    for (size_t i = 0; i < n->n_children; i++)
        append_ids(&n->children[i], buf, cap);
}

/* The leaf whose evidence explains figure name, or -1 (a figure with none). */
static int evidence_leaf(const char *figure)
{
    static const struct {
        const char *prefix;
        enum cqe_leaf leaf;
    } by_prefix[] = {
        {"availability", CQE_LEAF_A1_1}, {"agreed_s", CQE_LEAF_A1_1}, {"maintenance_s", CQE_LEAF_A1_1},
        {"downtime_s", CQE_LEAF_A1_1},   {"services", CQE_LEAF_A1_1}, {"probe_coverage", CQE_LEAF_A1_1},
        {"incidents", CQE_LEAF_A2_2},    {"mttr_s", CQE_LEAF_A2_2},   {"cpu_", CQE_LEAF_B1_1},
        {"mem_", CQE_LEAF_B1_2},         {"disk_", CQE_LEAF_B2},      {"net_", CQE_LEAF_B3}};
    for (int l = 0; l < CQE_LEAF__COUNT; l++)
        if (!strcmp(figure, cqe_leaf_name(l)))
            return l;
    for (size_t i = 0; i < sizeof by_prefix / sizeof *by_prefix; i++)
        if (!strncmp(figure, by_prefix[i].prefix, strlen(by_prefix[i].prefix)))
            return (int)by_prefix[i].leaf;
    return -1;
}

static json_t *node_ref(const struct ctx *c, const struct cqe_node *n)
{
    const struct cqe_node_score *ns = score_of(c, n);
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(n->id));
    json_object_set_new(o, "name", json_string(n->name));
    json_object_set_new(o, "en", json_string(n->en));
    json_object_set_new(o, "leaf", json_boolean(!n->n_children));
    json_object_set_new(o, "weight", json_real(n->weight));
    json_object_set_new(o, "evaluable", json_boolean(ns->evaluable));
    json_object_set_new(o, "points", ns->evaluable ? json_real(ns->score) : json_null());
    return o;
}

/* Every evaluable leaf under n, with its share of n's score (the product of the
 * re-normalised shares down the path) and its weighted gap share x (100 - points). */
static void collect_gaps(const struct ctx *c, const struct cqe_node *n, double share, json_t *out)
{
    const struct cqe_node_score *ns = score_of(c, n);
    if (!ns->evaluable)
        return;
    if (!n->n_children) {
        json_t *o = node_ref(c, n);
        json_object_set_new(o, "share", json_real(share));
        json_object_set_new(o, "gap", json_real(share * (100.0 - ns->score)));
        json_array_append_new(out, o);
        return;
    }
    for (size_t i = 0; i < n->n_children; i++)
        collect_gaps(c, &n->children[i], share * share_in(c, n, &n->children[i]), out);
}

static int cmp_gap(const void *a, const void *b)
{
    json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    double gx = json_real_value(json_object_get(x, "gap")), gy = json_real_value(json_object_get(y, "gap"));
    if (gx != gy)
        return gx > gy ? -1 : 1;
    return strcmp(json_string_value(json_object_get(x, "id")), json_string_value(json_object_get(y, "id")));
}

static json_t *sorted_gaps(json_t *gaps)
{
    size_t n = json_array_size(gaps);
    json_t **v = malloc((n ? n : 1) * sizeof *v), *out = json_array();
    if (v && out) {
        for (size_t i = 0; i < n; i++)
            v[i] = json_array_get(gaps, i);
        qsort(v, n, sizeof *v, cmp_gap);
        for (size_t i = 0; i < n; i++)
            json_array_append(out, v[i]);
    }
    free(v);
    json_decref(gaps);
    return out;
}

static void explain_node(const struct ctx *c, const struct cqe_node *n, json_t *o)
{
    json_t *kids = json_array(), *ne = json_array();
    double den = evaluable_weight(c, n), total = 0;
    for (size_t i = 0; i < n->n_children; i++) {
        const struct cqe_node *k = &n->children[i];
        const struct cqe_node_score *ks = score_of(c, k);
        json_t *e = node_ref(c, k);
        double share = share_in(c, n, k);
        total += k->weight;
        json_object_set_new(e, "share", json_real(share));
        json_object_set_new(e, "contribution", ks->evaluable ? json_real(share * ks->score) : json_null());
        json_array_append_new(kids, e);
        if (!ks->evaluable)
            json_array_append_new(ne, json_string(k->id));
    }
    json_object_set_new(o, "children", kids);
    json_object_set_new(o, "not_evaluable", ne);
    json_object_set_new(o, "weight_total", json_real(total));
    json_object_set_new(o, "weight_evaluable", json_real(den));
    json_t *gaps = json_array();
    collect_gaps(c, n, 1.0, gaps);
    json_object_set_new(o, "raise", sorted_gaps(gaps));
}

static void explain_leaf(const struct ctx *c, const struct cqe_node *n, json_t *o)
{
    const struct cqe_node_score *ns = score_of(c, n);
    json_object_set_new(o, "figure", json_string(n->figure));
    json_object_set_new(o, "value", cqe_json_opt(ns->value));
    json_t *curve = json_array();
    for (size_t i = 0; i < n->n_curve; i++)
        json_array_append_new(curve, json_pack("[ff]", n->curve[i][0], n->curve[i][1]));
    json_object_set_new(o, "curve", curve);
    /* where the value falls: the two points it lies between, or the flat end */
    json_t *seg = json_null();
    if (ns->value.has) {
        double x = ns->value.v;
        size_t hi = 0;
        while (hi < n->n_curve && n->curve[hi][0] < x)
            hi++;
        size_t lo = hi ? hi - 1 : 0;
        if (hi == n->n_curve)
            hi = lo;
        seg = json_pack("{s:[ff],s:[ff]}", "from", n->curve[lo][0], n->curve[lo][1], "to", n->curve[hi][0],
                        n->curve[hi][1]);
    }
    json_object_set_new(o, "segment", seg);
    int l = evidence_leaf(n->figure);
    json_t *ev = json_object();
    json_object_set_new(ev, "leaf", l >= 0 ? json_string(cqe_leaf_name(l)) : json_null());
    json_object_set_new(ev, "summary", l >= 0 ? json_incref(c->ev->summary[l]) : json_object());
    json_object_set_new(ev, "items", l >= 0 ? json_incref(c->ev->items[l]) : json_array());
    json_object_set_new(ev, "distribution",
                        l >= 0 && c->ev->distribution[l] ? json_incref(c->ev->distribution[l]) : json_null());
    json_object_set_new(o, "evidence", ev);
}

static void add_head(json_t *o, const struct cqe_view *v, const struct cqe_period *p, int64_t as_of,
                     const char *target, const struct ctx *c)
{
    int off = v->cfg->utc_offset_min;
    json_object_set_new(o, "kind", json_string("explain"));
    json_object_set_new(o, "v", json_integer(1));
    json_object_set_new(o, "target", json_string(target));
    json_object_set_new(o, "period", json_string(p->id));
    json_object_set_new(o, "period_kind", json_string(cqe_period_kind_name(p->kind)));
    cqe_json_set_time(o, "start", p->start_ms, off);
    cqe_json_set_time(o, "end", p->end_ms, off);
    cqe_json_set_time(o, "as_of", as_of, off);
    json_object_set_new(o, "complete", json_boolean(as_of >= p->end_ms));
    json_object_set_new(o, "score", c->sc->has_score ? json_real(c->sc->score) : json_null());
    json_object_set_new(o, "grade", c->sc->grade ? json_string(c->sc->grade->name) : json_null());
    json_object_set_new(o, "grade_en", c->sc->grade ? json_string(c->sc->grade->en) : json_null());
    json_t *veto = json_array();
    for (size_t i = 0; i < c->f->n_veto; i++) {
        bool sec = !strncmp(c->f->veto[i], "security_sev1:", 14);
        if ((sec && c->m->veto_security_sev1) || (!sec && c->m->veto_data_loss))
            json_array_append_new(veto, json_string(c->f->veto[i]));
    }
    json_object_set_new(o, "veto", veto);
    json_t *grades = json_array();
    for (size_t i = 0; i < c->m->n_grades; i++) {
        const struct cqe_grade *g = &c->m->grades[i];
        json_array_append_new(grades, json_pack("{s:s,s:s,s:o}", "name", g->name, "en", g->en, "min",
                                                g->has_min ? json_real(g->min) : json_null()));
    }
    json_object_set_new(o, "grades", grades);
}

static int unknown_target(const struct cqe_view *v, const char *target, struct cqe_err *err)
{
    char known[400] = "platform";
    for (size_t i = 0; i < v->providers.n; i++) { /* in the order the view met them */
        size_t len = strlen(known);
        if (len + v->providers.lens[i] + 8 < sizeof known)
            snprintf(known + len, sizeof known - len, ", %s", v->providers.keys[i]);
    }
    return cqe_err_set(err, CQE_ENOTFOUND, "--target %s: unknown target; known: %s", target, known);
}

int cqe_explain_build(const struct cqe_view *v, const struct cqe_model *m, const struct cqe_period *p,
                      int64_t as_of, const char *target, const char *node_id, void **out, struct cqe_err *err)
{
    const struct cqe_node *path[64];
    size_t depth = 0;
    *out = NULL;
    size_t t = CQE_NONE;
    if (strcmp(target, "platform") &&
        (t = cqe_strmap_find(&v->providers, target, strlen(target))) == SIZE_MAX)
        return unknown_target(v, target, err);
    if (!find_node(&m->root, node_id ? node_id : m->root.id, path, &depth, sizeof path / sizeof *path)) {
        char known[400] = "";
        append_ids(&m->root, known, sizeof known);
        return cqe_err_set(err, CQE_ENOTFOUND, "--indicator %s: unknown indicator; the model's ids: %s",
                           node_id, known);
    }
    struct cqe_period_eval pe;
    struct cqe_target_figures f;
    struct cqe_evidence ev;
    struct cqe_score sc = {0};
    bool have_pe = false, have_f = false;
    const struct cqe_node *n = path[depth - 1];
    int want = n->n_children ? -1 : evidence_leaf(n->figure); /* the one leaf whose evidence is shown */
    int rc = cqe_evidence_init(&ev, v);
    if (want >= 0)
        ev.only = want;
    if (!rc && !(rc = cqe_period_eval_init(&pe, v, p, as_of)))
        have_pe = true;
    if (!rc && !(rc = want >= 0 ? cqe_target_figures_explain(&pe, t, &f, &ev)
                                : cqe_target_figures_compute(&pe, t, &f)))
        have_f = true;
    if (!rc)
        rc = cqe_score_compute(m, &f, &sc);
    if (rc)
        goto out;
    struct ctx c = {m, &sc, &f, &ev};
    json_t *o = json_object(), *node = node_ref(&c, n), *ids = json_array();
    add_head(o, v, p, as_of, target, &c);
    double share = 1;
    for (size_t i = 0; i < depth; i++) {
        json_array_append_new(ids, json_string(path[i]->id));
        if (i)
            share *= share_in(&c, path[i - 1], path[i]);
    }
    json_object_set_new(node, "path", ids);
    json_object_set_new(node, "share_of_total", json_real(share));
    json_object_set_new(o, "node", node);
    if (n->n_children)
        explain_node(&c, n, o);
    else
        explain_leaf(&c, n, o);
    *out = o;
out:
    cqe_score_fini(&sc);
    if (have_f)
        cqe_target_figures_fini(&f);
    if (have_pe)
        cqe_period_eval_fini(&pe);
    cqe_evidence_fini(&ev);
    if (rc)
        cqe_err_set(err, rc, "out of memory explaining %s", target);
    return rc;
}

void cqe_explain_free(void *record)
{
    json_decref(record);
}
