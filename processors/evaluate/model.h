/* The indicator model (model.md): a tree of weighted nodes whose leaves score a figure
 * through a piecewise-linear curve, grade bands and veto switches. Loaded from JSON
 * (schemas/model.schema.json); the default is built in (schemas/default-model.json). */
#ifndef CQE_MODEL_H
#define CQE_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "figures.h"

struct cqe_node {
    char *id, *name, *en; /* owned */
    double weight;
    char *figure; /* leaves: the figure scored; NULL on inner nodes */
    double (*curve)[2];
    size_t n_curve;
    struct cqe_node *children;
    size_t n_children;
};

struct cqe_grade {
    char *name, *en; /* owned */
    bool has_min;
    double min;
};

struct cqe_model {
    struct cqe_node root;     /* id "total"; its children are the first-level dimensions */
    struct cqe_grade *grades; /* by descending min; the last has no min */
    size_t n_grades;
    bool veto_security_sev1, veto_data_loss;
};

/* The built-in default model as JSON text. */
extern const char cqe_default_model_json[];

/* Loads a model from JSON text; origin names it in errors. Returns 0, CQE_ENOMEM, or
 * CQE_ECONFIG with err "ORIGIN: $.json.path: rule (node ID)" (cqe_model_load_file also
 * CQE_EIO). The model is owned by the caller; on error it is empty. */
int cqe_model_load_string(struct cqe_model *m, const char *json, const char *origin, struct cqe_err *err);
int cqe_model_load_file(struct cqe_model *m, const char *path, struct cqe_err *err);
void cqe_model_fini(struct cqe_model *m);

/* The value of a figure by name ("A1.1", "availability", "cpu_p95", ...). */
struct cqe_opt cqe_figure_value(const struct cqe_target_figures *f, const char *name, bool *known);

/* Scores of every node in depth-first order (root first). */
struct cqe_node_score {
    const struct cqe_node *node;
    bool evaluable, is_leaf;
    double score;
    struct cqe_opt value;
};

struct cqe_score {
    struct cqe_node_score *nodes; /* owned */
    size_t n;
    bool has_score;
    double score;
    const struct cqe_grade *grade; /* NULL when no score and no veto */
};

/* Scores figures under the model. Returns 0 or CQE_ENOMEM; release with cqe_score_fini. */
int cqe_score_compute(const struct cqe_model *m, const struct cqe_target_figures *f, struct cqe_score *out);
void cqe_score_fini(struct cqe_score *s);

/* Piecewise-linear curve, flat beyond the ends. */
double cqe_curve_eval(const double (*pts)[2], size_t n, double x);

#endif
