/* Formats snapshot records as readable tables (see table.h). Rounds for display only. */
#include "table.h"

#include <jansson.h>
#include <string.h>

struct table_ctx {
    const struct cqe_model *m;
    FILE *out;
};

/* Display width of UTF-8 text: CJK and other wide code points count 2. */
static int display_width(const char *s)
{
    int w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        if (*p < 0x80) {
            w++;
            p++;
        } else if ((*p & 0xe0) == 0xc0) {
            w++;
            p += 2;
        } else if ((*p & 0xf0) == 0xe0) {
            w += 2;
            p += 3;
        } else {
            w += 2;
            p += 4;
        }
    }
    return w;
}

static void pad(FILE *f, const char *s, int width)
{
    fputs(s, f);
    for (int i = display_width(s); i < width; i++)
        fputc(' ', f);
}

static void print_node(struct table_ctx *t, json_t *ind, const struct cqe_node *n, int depth)
{
    json_t *o = json_object_get(ind, n->id);
    char label[256], value[32] = "", points[32] = "-";
    snprintf(label, sizeof label, "%*s%s %s %s", depth * 2, "", n->id, n->name, n->en);
    json_t *val = json_object_get(o, "value"), *sc = json_object_get(o, "score");
    if (!n->n_children)
        snprintf(value, sizeof value, "%s", json_is_number(val) ? "" : "n/a");
    if (json_is_number(val)) {
        double x = json_number_value(val);
        snprintf(value, sizeof value, "%.4f", x);
    }
    if (json_is_number(sc))
        snprintf(points, sizeof points, "%.2f", json_number_value(sc));
    pad(t->out, label, 64);
    fprintf(t->out, " %10s %8s %6g\n", value, points, n->weight);
    for (size_t i = 0; i < n->n_children; i++)
        print_node(t, ind, &n->children[i], depth + 1);
}

static int print_snapshot(void *record, void *arg)
{
    struct table_ctx *t = arg;
    json_t *r = record;
    json_t *score = json_object_get(r, "score"), *grade = json_object_get(r, "grade"),
           *grade_en = json_object_get(r, "grade_en");
    fprintf(t->out, "\n== %s  %s  (as of %s)\n", json_string_value(json_object_get(r, "target")),
            json_string_value(json_object_get(r, "period")), json_string_value(json_object_get(r, "as_of")));
    pad(t->out, "indicator 指标", 64);
    fprintf(t->out, " %10s %8s %6s\n", "value", "points", "weight");
    json_t *ind = json_object_get(r, "indicators");
    for (size_t i = 0; i < t->m->root.n_children; i++)
        print_node(t, ind, &t->m->root.children[i], 0);
    if (json_is_number(score))
        fprintf(t->out, "总分 total score: %.2f", json_number_value(score));
    else
        fprintf(t->out, "总分 total score: n/a (nothing evaluable)");
    if (json_is_string(grade))
        fprintf(t->out, "   等级 grade: %s (%s)", json_string_value(grade), json_string_value(grade_en));
    fputc('\n', t->out);
    json_t *veto = json_object_get(r, "veto");
    if (json_array_size(veto)) {
        fprintf(t->out, "一票否决 veto:");
        size_t i;
        json_t *v;
        json_array_foreach(veto, i, v) fprintf(t->out, " %s", json_string_value(v));
        fputc('\n', t->out);
    }
    return 0;
}

int cqe_table_print(const struct cqe_view *v, const struct cqe_model *m, const struct cqe_emit_options *o,
                    FILE *out, struct cqe_err *err)
{
    struct table_ctx t = {m, out};
    struct cqe_emit_options only = *o;
    only.services = only.depts = false;
    return cqe_emit_records(v, m, &only, print_snapshot, &t, err);
}
