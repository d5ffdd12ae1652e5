/* `cloudqe explain`: why a target has its score in a period, as one JSON record
 * (schemas/explain.schema.json) and as bilingual text. For a leaf: value, curve, points,
 * weight and the evidence behind the value; for a node or the root: each child's
 * contribution (weight share x points, re-normalised over what is evaluable) and the
 * leaves whose weighted gap is largest. */
#ifndef CQE_EXPLAIN_H
#define CQE_EXPLAIN_H

#include <stdio.h>

#include "model.h"
#include "view.h"

/* Builds the explain record of node_id (NULL = the root "total") of target ("platform"
 * or a provider id) in period p at as_of. Returns 0 with *out a new json_t reference
 * (caller json_decref's), CQE_ENOMEM, or CQE_ENOTFOUND with err naming the known
 * targets or indicator ids. */
int cqe_explain_build(const struct cqe_view *v, const struct cqe_model *m, const struct cqe_period *p,
                      int64_t as_of, const char *target, const char *node_id, void **out,
                      struct cqe_err *err);

/* Releases a record of cqe_explain_build; NULL is a no-op. */
void cqe_explain_free(void *record);

/* Prints an explain record as text: Chinese labels with English beside them. Numbers
 * are rounded for display only. */
void cqe_explain_print(void *record, FILE *f);

#endif
