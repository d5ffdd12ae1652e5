/* Human-readable score tables: per target and period, the indicator tree with Chinese
 * and English names, value, points, weight, and the grade (`replay --table`). */
#ifndef CQE_TABLE_H
#define CQE_TABLE_H

#include <stdio.h>

#include "snapshots.h"

int cqe_table_print(const struct cqe_view *v, const struct cqe_model *m, const struct cqe_emit_options *o,
                    FILE *out, struct cqe_err *err);

#endif
