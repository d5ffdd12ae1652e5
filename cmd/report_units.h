/* The unit a model figure is measured in (docs/spec/model.md, default tree), to print a
 * report's values with it: a ratio as %, a score as points, a count, seconds, or a rate
 * per 100 tickets. */
#ifndef CQE_REPORT_UNITS_H
#define CQE_REPORT_UNITS_H

#include <stddef.h>

/* Writes v, the value of figure (a leaf id such as "A1.1" or a named figure such as
 * "mttr_s"), with its unit into buf (n bytes), and returns buf. A figure of no known
 * unit is printed bare. Pure; any thread. */
const char *cqe_report_value(const char *figure, double v, char *buf, size_t n);

#endif
