/* The Prometheus text exposition format of prom_text.h: a growing buffer, names checked,
 * HELP text and label values escaped as the format asks. */
#include "prom_text.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cqe_prom_init(struct cqe_prom *p)
{
    memset(p, 0, sizeof *p);
}

static void put(struct cqe_prom *p, const char *s, size_t n)
{
    if (p->failed)
        return;
    if (p->len + n + 1 > p->cap) {
        size_t cap = p->cap ? p->cap : 1024;
        while (p->len + n + 1 > cap)
            cap *= 2;
        char *b = realloc(p->buf, cap);
        if (!b) {
            p->failed = true;
            return;
        }
        p->buf = b;
        p->cap = cap;
    }
    memcpy(p->buf + p->len, s, n);
    p->len += n;
    p->buf[p->len] = 0;
}

static void puts_(struct cqe_prom *p, const char *s)
{
    put(p, s, strlen(s));
}

/* Escapes backslash and newline (HELP), and the double quote too (label values). */
static void put_escaped(struct cqe_prom *p, const char *s, bool quote)
{
    for (; *s; s++) {
        if (*s == '\\')
            puts_(p, "\\\\");
        else if (*s == '\n')
            puts_(p, "\\n");
        else if (quote && *s == '"')
            puts_(p, "\\\"");
        else
            put(p, s, 1);
    }
}

bool cqe_prom_name_ok(const char *name, bool is_label)
{
    if (!name || !*name || (*name >= '0' && *name <= '9'))
        return false;
    for (const char *c = name; *c; c++) {
        bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                  *c == '_' || (!is_label && *c == ':');
        if (!ok)
            return false;
    }
    return true;
}

/* "# HELP" and "# TYPE" lines of a family of any type. */
static void family_lines(struct cqe_prom *p, const char *name, const char *type, const char *help)
{
    if (!cqe_prom_name_ok(name, false)) {
        p->failed = true;
        return;
    }
    puts_(p, "# HELP ");
    puts_(p, name);
    puts_(p, " ");
    put_escaped(p, help ? help : "", false);
    puts_(p, "\n# TYPE ");
    puts_(p, name);
    puts_(p, " ");
    puts_(p, type);
    puts_(p, "\n");
}

void cqe_prom_family(struct cqe_prom *p, const char *name, const char *type, const char *help)
{
    if (strcmp(type, "counter") && strcmp(type, "gauge") && strcmp(type, "untyped")) {
        p->failed = true;
        return;
    }
    family_lines(p, name, type, help);
}

/* "name{a="x",b="y"} " from the NULL-ended pairs of ap. */
static void put_name_labels(struct cqe_prom *p, const char *name, va_list ap)
{
    if (!cqe_prom_name_ok(name, false)) {
        p->failed = true;
        return;
    }
    puts_(p, name);
    const char *sep = "{";
    for (const char *l = va_arg(ap, const char *); l; l = va_arg(ap, const char *)) {
        const char *v = va_arg(ap, const char *);
        if (!cqe_prom_name_ok(l, true) || !v) {
            p->failed = true;
            return;
        }
        puts_(p, sep);
        puts_(p, l);
        puts_(p, "=\"");
        put_escaped(p, v, true);
        puts_(p, "\"");
        sep = ",";
    }
    puts_(p, *sep == ',' ? "} " : " ");
}

/* The number as the format writes it (see prom_text.h). */
static void format_double(char *num, size_t n, double value)
{
    if (isnan(value))
        snprintf(num, n, "NaN");
    else if (isinf(value))
        snprintf(num, n, "%s", value > 0 ? "+Inf" : "-Inf");
    else if (value == floor(value) && fabs(value) <= 9007199254740992.0)
        snprintf(num, n, "%.0f", value);
    else
        snprintf(num, n, "%.17g", value);
}

void cqe_prom_sample(struct cqe_prom *p, const char *name, double value, ...)
{
    char num[40];
    format_double(num, sizeof num, value);
    va_list ap;
    va_start(ap, value);
    put_name_labels(p, name, ap);
    va_end(ap);
    puts_(p, num);
    puts_(p, "\n");
}

void cqe_prom_sample_u64(struct cqe_prom *p, const char *name, uint64_t value, ...)
{
    char num[24];
    snprintf(num, sizeof num, "%llu\n", (unsigned long long)value);
    va_list ap;
    va_start(ap, value);
    put_name_labels(p, name, ap);
    va_end(ap);
    puts_(p, num);
}

void cqe_prom_gauge(struct cqe_prom *p, const char *name, const char *help, double value)
{
    cqe_prom_family(p, name, "gauge", help);
    cqe_prom_sample(p, name, value, (const char *)NULL);
}

void cqe_prom_counter(struct cqe_prom *p, const char *name, const char *help, uint64_t value)
{
    cqe_prom_family(p, name, "counter", help);
    cqe_prom_sample_u64(p, name, value, (const char *)NULL);
}

void cqe_prom_histogram(struct cqe_prom *p, const char *name, const char *help, const double *le,
                        const uint64_t *counts, size_t n, double sum)
{
    char series[256], bound[40];
    uint64_t total = 0;
    if (strlen(name) + sizeof "_bucket" > sizeof series) {
        p->failed = true;
        return;
    }
    family_lines(p, name, "histogram", help);
    snprintf(series, sizeof series, "%s_bucket", name);
    for (size_t i = 0; i <= n; i++) {
        total += counts[i];
        if (i < n)
            snprintf(bound, sizeof bound, "%g", le[i]);
        cqe_prom_sample_u64(p, series, total, "le", i < n ? bound : "+Inf", (const char *)NULL);
    }
    snprintf(series, sizeof series, "%s_sum", name);
    cqe_prom_sample(p, series, sum, (const char *)NULL);
    snprintf(series, sizeof series, "%s_count", name);
    cqe_prom_sample_u64(p, series, total, (const char *)NULL);
}

char *cqe_prom_take(struct cqe_prom *p, size_t *len)
{
    char *out = NULL;
    *len = 0;
    if (!p->failed) {
        if (!p->buf)
            put(p, "", 0);
        out = p->failed ? NULL : p->buf;
        *len = out ? p->len : 0;
    }
    if (!out)
        free(p->buf);
    cqe_prom_init(p);
    return out;
}

void cqe_prom_free(struct cqe_prom *p)
{
    free(p->buf);
    cqe_prom_init(p);
}
