/* The Markdown form of a report (report_md.c). */
#ifndef CQE_REPORT_MD_H
#define CQE_REPORT_MD_H

#include <jansson.h>

#include "err.h"
#include "model.h"
#include "timeutil.h"

/* Writes doc (the JSON report of period under model m, as `cloudqe report` builds it;
 * borrowed) to path as Markdown. Returns 0, or CQE_EIO with err naming the file and the
 * system's reason. */
int cqe_report_write_md(const json_t *doc, const struct cqe_model *m, const struct cqe_period *period,
                        const char *path, struct cqe_err *err);

#endif
