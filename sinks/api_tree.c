/* The model's indicator tree with the scores of one snapshot record, as nested nodes a
 * page can draw: names from the model, score, value and evaluable from the record's
 * `indicators` (the root's from the record's `score`). */
#include "api_int.h"

static json_t *node_json(const struct cqe_node *n, const json_t *ind, const json_t *record, bool root)
{
    json_t *o = json_object();
    const json_t *mine = json_object_get(ind, n->id);
    json_object_set_new(o, "id", json_string(n->id));
    json_object_set_new(o, "name", n->name ? json_string(n->name) : json_null());
    json_object_set_new(o, "name_en", n->en ? json_string(n->en) : json_null());
    json_object_set_new(o, "weight", json_real(n->weight));
    const json_t *score = root ? json_object_get(record, "score") : json_object_get(mine, "score");
    json_object_set_new(o, "score", score ? json_copy((json_t *)score) : json_null());
    const json_t *value = json_object_get(mine, "value");
    json_object_set_new(o, "value", value ? json_copy((json_t *)value) : json_null());
    const json_t *ev = json_object_get(mine, "evaluable");
    json_object_set_new(o, "evaluable", json_boolean(root ? json_is_number(score) : json_is_true(ev)));
    json_t *kids = json_array();
    for (size_t i = 0; i < n->n_children; i++)
        json_array_append_new(kids, node_json(&n->children[i], ind, record, false));
    json_object_set_new(o, "children", kids);
    return o;
}

json_t *api_tree(const struct cqe_model *m, const json_t *record)
{
    return node_json(&m->root, json_object_get(record, "indicators"), record, true);
}
