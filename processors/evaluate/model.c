/* Loading and validating the indicator model, and scoring figures under it: curves,
 * weighted means over evaluable children, grades and veto (model.md). */
#include "model.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

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

struct loader {
    const char *origin;
    struct cqe_err *err;
    json_t *ids; /* object used as a set of ids seen */
};

static int fail(struct loader *L, const char *where, const char *rule)
{
    return cqe_err_set(L->err, CQE_ECONFIG, "%s: %s: %s", L->origin, where, rule);
}

static const char *const known_figures[] = {
    "services", "availability", "agreed_s", "maintenance_s", "downtime_s", "incidents", "mttr_s",
    "probe_coverage", "maintenance_late_notice", "incident_orphans", "cpu_mean", "cpu_p50", "cpu_p95",
    "cpu_max", "mem_mean", "mem_p50", "mem_p95", "mem_max", "disk_mean", "disk_p50", "disk_p95",
    "disk_max", "net_mean", "net_p50", "net_p95", "net_max"};

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

static int load_node(struct loader *L, json_t *j, const char *path, struct cqe_node *n)
{
    char where[256];
    if (!json_is_object(j))
        return fail(L, path, "a node must be an object");
    json_t *id = json_object_get(j, "id");
    if (!json_is_string(id) || !json_string_length(id))
        return fail(L, path, "\"id\" must be a non-empty string");
    snprintf(where, sizeof where, "node %s", json_string_value(id));
    if (json_object_get(L->ids, json_string_value(id)))
        return fail(L, where, "duplicate id");
    json_object_set_new(L->ids, json_string_value(id), json_true());
    const char *key;
    json_t *val;
    json_object_foreach(j, key, val) {
        static const char *const allowed[] = {"id", "name", "en", "weight", "figure", "curve", "children"};
        bool ok = false;
        for (size_t i = 0; i < 7; i++)
            ok |= !strcmp(key, allowed[i]);
        if (!ok) {
            char rule[200];
            snprintf(rule, sizeof rule, "unknown key \"%s\" (known: id, name, en, weight, figure, curve, children)", key);
            return fail(L, where, rule);
        }
    }
    json_t *name = json_object_get(j, "name"), *en = json_object_get(j, "en"),
           *w = json_object_get(j, "weight"), *fig = json_object_get(j, "figure"),
           *curve = json_object_get(j, "curve"), *kids = json_object_get(j, "children");
    if (!json_is_string(name) || !json_is_string(en))
        return fail(L, where, "\"name\" and \"en\" must be strings");
    if (!json_is_number(w) || !(json_number_value(w) > 0))
        return fail(L, where, "\"weight\" must be a number > 0");
    n->id = dup_str(json_string_value(id));
    n->name = dup_str(json_string_value(name));
    n->en = dup_str(json_string_value(en));
    n->weight = json_number_value(w);
    if (!n->id || !n->name || !n->en)
        return cqe_err_set(L->err, CQE_ENOMEM, "out of memory");
    if (kids) {
        if (fig || curve)
            return fail(L, where, "a node has either \"children\" or \"figure\" and \"curve\"");
        if (!json_is_array(kids) || !json_array_size(kids))
            return fail(L, where, "\"children\" must be a non-empty array");
        n->n_children = json_array_size(kids);
        n->children = calloc(n->n_children, sizeof *n->children);
        if (!n->children)
            return cqe_err_set(L->err, CQE_ENOMEM, "out of memory");
        for (size_t i = 0; i < n->n_children; i++) {
            char sub[300];
            snprintf(sub, sizeof sub, "%s.children[%zu]", path, i);
            int rc = load_node(L, json_array_get(kids, i), sub, &n->children[i]);
            if (rc)
                return rc;
        }
        return 0;
    }
    if (!json_is_string(fig) || !figure_known(json_string_value(fig)))
        return fail(L, where, "a leaf needs \"figure\" naming a known figure (a leaf id such as \"A1.1\", or availability, mttr_s, cpu_p95, ...)");
    if (!json_is_array(curve) || json_array_size(curve) < 1)
        return fail(L, where, "\"curve\" must be a non-empty array of [x, score] points");
    n->figure = dup_str(json_string_value(fig));
    n->n_curve = json_array_size(curve);
    n->curve = calloc(n->n_curve, sizeof *n->curve);
    if (!n->figure || !n->curve)
        return cqe_err_set(L->err, CQE_ENOMEM, "out of memory");
    for (size_t i = 0; i < n->n_curve; i++) {
        json_t *pt = json_array_get(curve, i);
        if (!json_is_array(pt) || json_array_size(pt) != 2 || !json_is_number(json_array_get(pt, 0)) ||
            !json_is_number(json_array_get(pt, 1)))
            return fail(L, where, "each curve point must be [x, score] with two numbers");
        n->curve[i][0] = json_number_value(json_array_get(pt, 0));
        n->curve[i][1] = json_number_value(json_array_get(pt, 1));
        if (n->curve[i][1] < 0 || n->curve[i][1] > 100)
            return fail(L, where, "curve scores must lie in [0, 100]");
        if (i && !(n->curve[i][0] > n->curve[i - 1][0]))
            return fail(L, where, "curve points must be sorted by strictly increasing x");
    }
    return 0;
}

static int load_grades(struct loader *L, json_t *g, struct cqe_model *m)
{
    if (!json_is_array(g) || json_array_size(g) < 1)
        return fail(L, "grades", "must be a non-empty array of {name, en, min}");
    m->n_grades = json_array_size(g);
    m->grades = calloc(m->n_grades, sizeof *m->grades);
    if (!m->grades)
        return cqe_err_set(L->err, CQE_ENOMEM, "out of memory");
    for (size_t i = 0; i < m->n_grades; i++) {
        json_t *e = json_array_get(g, i);
        json_t *name = json_object_get(e, "name"), *en = json_object_get(e, "en"), *min = json_object_get(e, "min");
        bool last = i + 1 == m->n_grades;
        if (!json_is_string(name) || !json_is_string(en))
            return fail(L, "grades", "each grade needs string \"name\" and \"en\"");
        if (last ? !json_is_null(min) : !json_is_number(min))
            return fail(L, "grades", "every grade but the last needs a number \"min\"; the last has \"min\": null");
        m->grades[i].name = dup_str(json_string_value(name));
        m->grades[i].en = dup_str(json_string_value(en));
        m->grades[i].has_min = !last;
        m->grades[i].min = last ? 0 : json_number_value(min);
        if (!m->grades[i].name || !m->grades[i].en)
            return cqe_err_set(L->err, CQE_ENOMEM, "out of memory");
        if (i && !last && !(m->grades[i].min < m->grades[i - 1].min))
            return fail(L, "grades", "grades must be listed by strictly decreasing \"min\"");
    }
    return 0;
}

int cqe_model_load_string(struct cqe_model *m, const char *json, const char *origin, struct cqe_err *err)
{
    struct loader L = {origin, err, json_object()};
    json_error_t je;
    memset(m, 0, sizeof *m);
    json_t *root = json_loads(json, 0, &je);
    int rc = 0;
    if (!root) {
        rc = cqe_err_set(err, CQE_ECONFIG, "%s: line %d column %d: %s", origin, je.line, je.column, je.text);
        goto out;
    }
    const char *key;
    json_t *val;
    json_object_foreach(root, key, val) {
        if (strcmp(key, "grades") && strcmp(key, "veto") && strcmp(key, "tree") && strcmp(key, "version")) {
            char rule[160];
            snprintf(rule, sizeof rule, "unknown key \"%s\" (known: grades, veto, tree)", key);
            rc = fail(&L, "$", rule);
            goto out;
        }
    }
    if ((rc = load_grades(&L, json_object_get(root, "grades"), m)))
        goto out;
    json_t *veto = json_object_get(root, "veto");
    m->veto_security_sev1 = m->veto_data_loss = true;
    if (veto) {
        json_t *a = json_object_get(veto, "security_sev1"), *b = json_object_get(veto, "data_loss");
        if (!json_is_object(veto) || (a && !json_is_boolean(a)) || (b && !json_is_boolean(b)) ||
            json_object_size(veto) > (size_t)(!!a + !!b)) {
            rc = fail(&L, "veto", "must be an object with boolean security_sev1 and data_loss");
            goto out;
        }
        m->veto_security_sev1 = !a || json_is_true(a);
        m->veto_data_loss = !b || json_is_true(b);
    }
    json_t *tree = json_object_get(root, "tree");
    if (!json_is_array(tree) || !json_array_size(tree)) {
        rc = fail(&L, "tree", "must be a non-empty array of nodes");
        goto out;
    }
    m->root.id = dup_str("total");
    m->root.name = dup_str("总分");
    m->root.en = dup_str("total");
    m->root.weight = 1;
    m->root.n_children = json_array_size(tree);
    m->root.children = calloc(m->root.n_children, sizeof *m->root.children);
    if (!m->root.id || !m->root.name || !m->root.en || !m->root.children) {
        rc = cqe_err_set(err, CQE_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < m->root.n_children; i++) {
        char path[64];
        snprintf(path, sizeof path, "tree[%zu]", i);
        if ((rc = load_node(&L, json_array_get(tree, i), path, &m->root.children[i])))
            goto out;
    }
out:
    json_decref(root);
    json_decref(L.ids);
    if (rc)
        cqe_model_fini(m);
    return rc;
}

int cqe_model_load_file(struct cqe_model *m, const char *path, struct cqe_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return cqe_err_set(err, CQE_EIO, "%s: cannot open the model file", path);
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 65536;
            char *p = realloc(buf, cap);
            if (!p) {
                free(buf);
                fclose(f);
                return cqe_err_set(err, CQE_ENOMEM, "out of memory");
            }
            buf = p;
        }
        size_t r = fread(buf + n, 1, 4096, f);
        n += r;
        if (r < 4096)
            break;
    }
    fclose(f);
    buf[n] = 0;
    int rc = cqe_model_load_string(m, buf, path, err);
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
    if (!strcmp(name, "services")) { cnt.v = (double)f->services; return cnt; }
    if (!strcmp(name, "incidents")) { cnt.v = (double)f->incidents; return cnt; }
    if (!strcmp(name, "maintenance_late_notice")) { cnt.v = (double)f->maintenance_late_notice; return cnt; }
    if (!strcmp(name, "incident_orphans")) { cnt.v = (double)f->incident_orphans; return cnt; }
    if (!strcmp(name, "agreed_s")) { cnt.v = f->agreed_s; return cnt; }
    if (!strcmp(name, "maintenance_s")) { cnt.v = f->maintenance_s; return cnt; }
    if (!strcmp(name, "downtime_s")) { cnt.v = f->downtime_s; return cnt; }
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
