/* Loading and validating the indicator model through json_table (every refusal names the
 * JSON path and the node), and scoring figures under it: curves, weighted means over
 * evaluable children, grades and veto (model.md). */
#include "model.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_table.h"

#define MAX_MODEL_BYTES (64u << 20)

static void node_fini(struct cqe_node *n)
{
    free(n->id);
    free(n->name);
    free(n->en);
    free(n->figure);
    free(n->curve);
    for (size_t i = 0; i < n->n_children; i++)
        node_fini(&n->children[i]);
    free(n->children);
    memset(n, 0, sizeof *n);
}

void cqe_model_fini(struct cqe_model *m)
{
    node_fini(&m->root);
    for (size_t i = 0; i < m->n_grades; i++) {
        free(m->grades[i].name);
        free(m->grades[i].en);
    }
    free(m->grades);
    memset(m, 0, sizeof *m);
}

/* ---- loading, through json_table: every refusal names the JSON path, and the node ---- */

/* One load: the json_table state first, so a loader's L is also this. */
struct model_load {
    struct cqe_jt L;
    json_t *ids; /* node id -> JSON path of the node that took it first */
};

#define LOAD_OF(L) ((struct model_load *)(L))

static const char *const known_figures[] = {"services",         "availability",   "agreed_s",
                                            "maintenance_s",    "downtime_s",     "incidents",
                                            "mttr_s",           "probe_coverage", "maintenance_late_notice",
                                            "incident_orphans", "cpu_mean",       "cpu_p50",
                                            "cpu_p95",          "cpu_max",        "mem_mean",
                                            "mem_p50",          "mem_p95",        "mem_max",
                                            "disk_mean",        "disk_p50",       "disk_p95",
                                            "disk_max",         "net_mean",       "net_p50",
                                            "net_p95",          "net_max"};

static bool figure_known(const char *name)
{
    for (int l = 0; l < CQE_LEAF__COUNT; l++)
        if (!strcmp(name, cqe_leaf_name(l)))
            return true;
    for (size_t i = 0; i < sizeof known_figures / sizeof *known_figures; i++)
        if (!strcmp(name, known_figures[i]))
            return true;
    return false;
}

/* Any string (names may be empty), copied to the char * at k->off. */
static int load_text(struct cqe_jt *L, json_t *v, void *base, const struct cqe_jt_key *k)
{
    if (!json_is_string(v))
        return cqe_jt_fail(L, "must be a string; got %s", cqe_jt_type_name(v));
    return base ? cqe_jt_set_str(L, (char **)((char *)base + k->off), json_string_value(v)) : 0;
}

/* A node id: non-empty, unique across the tree. */
static int load_id(struct cqe_jt *L, json_t *v, void *base, const struct cqe_jt_key *k)
{
    struct cqe_node *n = base;
    const char *id = NULL;
    int rc = cqe_jt_nonempty(L, v, &id);
    (void)k;
    if (rc)
        return rc;
    json_t *first = json_object_get(LOAD_OF(L)->ids, id);
    if (first)
        return cqe_jt_fail(L, "duplicate id \"%s\" (first at %s); ids must be unique across the tree", id,
                           json_string_value(first));
    /* the node's own path: this one without ".id" */
    char node_path[sizeof L->path];
    size_t np = L->plen > 3 ? L->plen - 3 : 0;
    memcpy(node_path, L->path, np);
    node_path[np] = '\0';
    rc = json_object_set_new(LOAD_OF(L)->ids, id, json_string(node_path)) ? cqe_jt_oom(L) : 0;
    return rc ? rc : cqe_jt_set_str(L, &n->id, id);
}

static int load_figure(struct cqe_jt *L, json_t *v, void *base, const struct cqe_jt_key *k)
{
    struct cqe_node *n = base;
    (void)k;
    if (!json_is_string(v) || !figure_known(json_string_value(v)))
        return cqe_jt_fail(L,
                           "must name a known figure: a leaf id such as \"A1.1\", or availability, mttr_s, "
                           "cpu_p95, ...");
    return cqe_jt_set_str(L, &n->figure, json_string_value(v));
}

/* [[x, score], ...]: x strictly increasing, score in [0, 100]. */
static int load_curve(struct cqe_jt *L, json_t *v, void *base, const struct cqe_jt_key *k)
{
    static const struct cqe_jt_range any = CQE_JT_NUM(-HUGE_VAL, HUGE_VAL);
    static const struct cqe_jt_range score = CQE_JT_NUM(0, 100);
    struct cqe_node *n = base;
    (void)k;
    if (!json_is_array(v) || !json_array_size(v))
        return cqe_jt_fail(L, "must be a non-empty array of [x, score] points; got %s",
                           json_is_array(v) ? "an empty array" : cqe_jt_type_name(v));
    size_t np = json_array_size(v);
    if (!(n->curve = calloc(np, sizeof *n->curve)))
        return cqe_jt_oom(L);
    n->n_curve = np;
    for (size_t i = 0; i < np; i++) {
        json_t *pt = json_array_get(v, i);
        size_t mark = cqe_jt_push_index(L, i);
        int rc = 0;
        if (!json_is_array(pt) || json_array_size(pt) != 2) {
            rc = cqe_jt_fail(L, "a curve point must be [x, score], two numbers; got %s",
                             json_is_array(pt) ? "an array of another length" : cqe_jt_type_name(pt));
        } else {
            size_t m2 = cqe_jt_push_index(L, 0);
            rc = cqe_jt_number(L, json_array_get(pt, 0), &any, &n->curve[i][0]);
            if (!rc && i && !(n->curve[i][0] > n->curve[i - 1][0]))
                rc = cqe_jt_fail(L,
                                 "must be above the previous point's x (%.15g): curve points are sorted by "
                                 "strictly increasing x",
                                 n->curve[i - 1][0]);
            cqe_jt_pop(L, m2);
            if (!rc) {
                m2 = cqe_jt_push_index(L, 1);
                rc = cqe_jt_number(L, json_array_get(pt, 1), &score, &n->curve[i][1]);
                cqe_jt_pop(L, m2);
            }
        }
        cqe_jt_pop(L, mark);
        if (rc)
            return rc;
    }
    return 0;
}

static int load_node(struct cqe_jt *L, json_t *j, struct cqe_node *n);

/* Loads the nodes of array v into *out (owned), *n_out of them. */
static int load_nodes(struct cqe_jt *L, json_t *v, struct cqe_node **out, size_t *n_out)
{
    if (!json_is_array(v) || !json_array_size(v))
        return cqe_jt_fail(L, "must be a non-empty array of nodes; got %s",
                           json_is_array(v) ? "an empty array" : cqe_jt_type_name(v));
    if (!(*out = calloc(json_array_size(v), sizeof **out)))
        return cqe_jt_oom(L);
    *n_out = json_array_size(v);
    for (size_t i = 0; i < *n_out; i++) {
        size_t mark = cqe_jt_push_index(L, i);
        int rc = load_node(L, json_array_get(v, i), &(*out)[i]);
        cqe_jt_pop(L, mark);
        if (rc)
            return rc;
    }
    return 0;
}

static int load_children(struct cqe_jt *L, json_t *v, void *base, const struct cqe_jt_key *k)
{
    struct cqe_node *n = base;
    (void)k;
    return load_nodes(L, v, &n->children, &n->n_children);
}

static const struct cqe_jt_key node_keys[] = {
    {"id", load_id, 0, {0}, true, false},
    {"name", load_text, offsetof(struct cqe_node, name), {0}, true, false},
    {"en", load_text, offsetof(struct cqe_node, en), {0}, true, false},
    {"weight", cqe_jt_load_double, offsetof(struct cqe_node, weight), CQE_JT_POS(HUGE_VAL), true, false},
    {"figure", load_figure, 0, {0}, false, false},
    {"curve", load_curve, 0, {0}, false, false},
    {"children", load_children, 0, {0}, false, false},
};

/* A node: an inner node has children, a leaf a figure and a curve. Refusals inside it
 * end on "(node ID)" once its id is known. */
static int load_node(struct cqe_jt *L, json_t *j, struct cqe_node *n)
{
    const char *outer = L->note;
    char note[160];
    int rc = 0;
    L->note = NULL;
    if (!json_is_object(j)) {
        rc = cqe_jt_fail(L, "a node must be an object; got %s", cqe_jt_type_name(j));
        goto out;
    }
    json_t *id = json_object_get(j, "id");
    if (json_is_string(id) && json_string_length(id)) {
        snprintf(note, sizeof note, "node %s", json_string_value(id));
        L->note = note;
    }
    bool kids = json_object_get(j, "children"), fig = json_object_get(j, "figure"),
         curve = json_object_get(j, "curve");
    if (kids && (fig || curve))
        rc = cqe_jt_fail(L, "a node has either \"children\" or \"figure\" and \"curve\", not both");
    else if (!kids && !(fig && curve))
        rc = cqe_jt_fail(L, "a leaf needs \"figure\" and \"curve\" (an inner node \"children\")");
    else
        rc = CQE_JT_OBJECT(L, j, node_keys, n);
out:
    L->note = outer;
    return rc;
}

/* ---- grades, veto, the document ---- */

static int load_min(struct cqe_jt *L, json_t *v, void *base, const struct cqe_jt_key *k)
{
    static const struct cqe_jt_range any = CQE_JT_NUM(-HUGE_VAL, HUGE_VAL);
    struct cqe_grade *g = base;
    (void)k;
    g->has_min = !json_is_null(v);
    if (g->has_min && !json_is_number(v))
        return cqe_jt_fail(L, "must be a number (null on the last grade); got %s", cqe_jt_type_name(v));
    return g->has_min ? cqe_jt_number(L, v, &any, &g->min) : 0;
}

static const struct cqe_jt_key grade_keys[] = {
    {"name", cqe_jt_load_nonempty, offsetof(struct cqe_grade, name), {0}, true, false},
    {"en", cqe_jt_load_nonempty, offsetof(struct cqe_grade, en), {0}, true, false},
    {"min", load_min, 0, {0}, true, false},
};

/* Grades by strictly decreasing min; the last has "min": null and takes every score below. */
static int load_grades(struct cqe_jt *L, json_t *v, void *base, const struct cqe_jt_key *k)
{
    struct cqe_model *m = base;
    (void)k;
    if (!json_is_array(v) || !json_array_size(v))
        return cqe_jt_fail(L, "must be a non-empty array of {name, en, min}; got %s",
                           json_is_array(v) ? "an empty array" : cqe_jt_type_name(v));
    if (!(m->grades = calloc(json_array_size(v), sizeof *m->grades)))
        return cqe_jt_oom(L);
    m->n_grades = json_array_size(v);
    for (size_t i = 0; i < m->n_grades; i++) {
        struct cqe_grade *g = &m->grades[i];
        bool last = i + 1 == m->n_grades;
        size_t mark = cqe_jt_push_index(L, i);
        int rc = CQE_JT_OBJECT(L, json_array_get(v, i), grade_keys, g);
        if (!rc) {
            size_t m2 = cqe_jt_push_key(L, "min");
            if (last && g->has_min)
                rc = cqe_jt_fail(L,
                                 "the last grade has \"min\": null (it takes every score below the others)");
            else if (!last && !g->has_min)
                rc = cqe_jt_fail(L, "every grade but the last needs a number \"min\"");
            else if (!last && i && !(g->min < m->grades[i - 1].min))
                rc = cqe_jt_fail(
                    L,
                    "must be below the previous grade's min (%.15g): grades are listed by strictly "
                    "decreasing min",
                    m->grades[i - 1].min);
            cqe_jt_pop(L, m2);
        }
        cqe_jt_pop(L, mark);
        if (rc)
            return rc;
    }
    return 0;
}

static const struct cqe_jt_key veto_keys[] = {
    {"security_sev1", cqe_jt_load_bool, offsetof(struct cqe_model, veto_security_sev1), {0}, false, false},
    {"data_loss", cqe_jt_load_bool, offsetof(struct cqe_model, veto_data_loss), {0}, false, false},
};

static int load_veto(struct cqe_jt *L, json_t *v, void *base, const struct cqe_jt_key *k)
{
    (void)k;
    return CQE_JT_OBJECT(L, v, veto_keys, base);
}

/* The first-level dimensions, under the root "total". */
static int load_tree(struct cqe_jt *L, json_t *v, void *base, const struct cqe_jt_key *k)
{
    struct cqe_model *m = base;
    (void)k;
    return load_nodes(L, v, &m->root.children, &m->root.n_children);
}

static const struct cqe_jt_key model_keys[] = {
    {"version", load_text, 0, {0}, false, false},
    {"grades", load_grades, 0, {0}, true, false},
    {"veto", load_veto, 0, {0}, false, false},
    {"tree", load_tree, 0, {0}, true, false},
};

static int load_buffer(struct cqe_model *m, const char *text, size_t len, const char *origin,
                       struct cqe_err *err)
{
    struct model_load ml = {.ids = json_object()};
    json_t *root = NULL;
    int rc = 0;
    memset(m, 0, sizeof *m);
    cqe_jt_init(&ml.L, origin, err);
    if (!ml.ids) {
        rc = cqe_jt_oom(&ml.L);
        goto out;
    }
    if ((rc = cqe_jt_parse(&ml.L, text, len, &root)))
        goto out;
    if (!json_is_object(root)) {
        rc = cqe_jt_fail(&ml.L, "the model must be a JSON object; got %s", cqe_jt_type_name(root));
        goto out;
    }
    m->veto_security_sev1 = m->veto_data_loss = true;
    m->root.id = cqe_jt_strdup("total");
    m->root.name = cqe_jt_strdup("总分");
    m->root.en = cqe_jt_strdup("total");
    m->root.weight = 1;
    if (!m->root.id || !m->root.name || !m->root.en) {
        rc = cqe_jt_oom(&ml.L);
        goto out;
    }
    rc = CQE_JT_OBJECT(&ml.L, root, model_keys, m);
out:
    json_decref(root);
    json_decref(ml.ids);
    if (rc)
        cqe_model_fini(m);
    return rc;
}

int cqe_model_load_string(struct cqe_model *m, const char *json, const char *origin, struct cqe_err *err)
{
    return load_buffer(m, json, strlen(json), origin, err);
}

int cqe_model_load_file(struct cqe_model *m, const char *path, struct cqe_err *err)
{
    char *buf = NULL;
    size_t len = 0;
    memset(m, 0, sizeof *m);
    int rc = cqe_jt_read_file(path, MAX_MODEL_BYTES, "a model file", &buf, &len, err);
    if (!rc)
        rc = load_buffer(m, buf, len, path, err);
    free(buf);
    return rc;
}

struct cqe_opt cqe_figure_value(const struct cqe_target_figures *f, const char *name, bool *known)
{
    *known = true;
    for (int l = 0; l < CQE_LEAF__COUNT; l++)
        if (!strcmp(name, cqe_leaf_name(l)))
            return f->leaf[l];
    struct cqe_opt cnt = {true, 0};
    if (!strcmp(name, "services")) {
        cnt.v = (double)f->services;
        return cnt;
    }
    if (!strcmp(name, "incidents")) {
        cnt.v = (double)f->incidents;
        return cnt;
    }
    if (!strcmp(name, "maintenance_late_notice")) {
        cnt.v = (double)f->maintenance_late_notice;
        return cnt;
    }
    if (!strcmp(name, "incident_orphans")) {
        cnt.v = (double)f->incident_orphans;
        return cnt;
    }
    if (!strcmp(name, "agreed_s")) {
        cnt.v = f->agreed_s;
        return cnt;
    }
    if (!strcmp(name, "maintenance_s")) {
        cnt.v = f->maintenance_s;
        return cnt;
    }
    if (!strcmp(name, "downtime_s")) {
        cnt.v = f->downtime_s;
        return cnt;
    }
    if (!strcmp(name, "availability"))
        return f->availability;
    if (!strcmp(name, "mttr_s"))
        return f->mttr_s;
    if (!strcmp(name, "probe_coverage"))
        return f->probe_coverage;
    for (int m = 0; m < CQE_M__COUNT; m++) {
        size_t l = strlen(cqe_metric_names[m]);
        if (strncmp(name, cqe_metric_names[m], l) || name[l] != '_')
            continue;
        const char *s = name + l + 1;
        if (!strcmp(s, "mean"))
            return f->m_mean[m];
        if (!strcmp(s, "p50"))
            return f->m_p50[m];
        if (!strcmp(s, "p95"))
            return f->m_p95[m];
        if (!strcmp(s, "max"))
            return f->m_max[m];
    }
    *known = false;
    return (struct cqe_opt){false, 0};
}

double cqe_curve_eval(const double (*pts)[2], size_t n, double x)
{
    if (x <= pts[0][0])
        return pts[0][1];
    if (x >= pts[n - 1][0])
        return pts[n - 1][1];
    for (size_t i = 1; i < n; i++) {
        if (x <= pts[i][0]) {
            double x0 = pts[i - 1][0], y0 = pts[i - 1][1], x1 = pts[i][0], y1 = pts[i][1];
            return y0 + (y1 - y0) * (x - x0) / (x1 - x0);
        }
    }
    return pts[n - 1][1];
}

static size_t count_nodes(const struct cqe_node *n)
{
    size_t c = 1;
    for (size_t i = 0; i < n->n_children; i++)
        c += count_nodes(&n->children[i]);
    return c;
}

/* Fills out->nodes from index *at in depth-first order; returns the node's slot. */
static size_t score_node(const struct cqe_node *n, const struct cqe_target_figures *f, struct cqe_score *out,
                         size_t *at)
{
    size_t me = (*at)++;
    struct cqe_node_score *ns = &out->nodes[me];
    ns->node = n;
    if (!n->n_children) {
        bool known;
        ns->is_leaf = true;
        ns->value = cqe_figure_value(f, n->figure, &known);
        ns->evaluable = ns->value.has;
        if (ns->evaluable)
            ns->score = cqe_curve_eval((const double(*)[2])n->curve, n->n_curve, ns->value.v);
        return me;
    }
    double num = 0, den = 0;
    for (size_t i = 0; i < n->n_children; i++) {
        size_t c = score_node(&n->children[i], f, out, at);
        if (out->nodes[c].evaluable) {
            num += n->children[i].weight * out->nodes[c].score;
            den += n->children[i].weight;
        }
    }
    out->nodes[me].evaluable = den > 0;
    out->nodes[me].score = den > 0 ? num / den : 0;
    return me;
}

int cqe_score_compute(const struct cqe_model *m, const struct cqe_target_figures *f, struct cqe_score *out)
{
    memset(out, 0, sizeof *out);
    out->n = count_nodes(&m->root);
    out->nodes = calloc(out->n, sizeof *out->nodes);
    if (!out->nodes)
        return CQE_ENOMEM;
    size_t at = 0;
    score_node(&m->root, f, out, &at);
    out->has_score = out->nodes[0].evaluable;
    out->score = out->nodes[0].score;
    bool vetoed = false;
    for (size_t i = 0; i < f->n_veto; i++) {
        if (!strncmp(f->veto[i], "security_sev1:", 14) && m->veto_security_sev1)
            vetoed = true;
        if (!strncmp(f->veto[i], "data_loss:", 10) && m->veto_data_loss)
            vetoed = true;
    }
    if (vetoed)
        out->grade = &m->grades[m->n_grades - 1];
    else if (out->has_score) {
        for (size_t i = 0; i < m->n_grades; i++) {
            if (!m->grades[i].has_min || out->score >= m->grades[i].min) {
                out->grade = &m->grades[i];
                break;
            }
        }
    }
    return 0;
}

void cqe_score_fini(struct cqe_score *s)
{
    free(s->nodes);
    memset(s, 0, sizeof *s);
}
