/* Time arithmetic without libc time zones: civil-date conversions (Howard Hinnant's
 * days-from-civil algorithm, re-derived), RFC 3339 parsing and formatting in a fixed
 * offset, and the month / quarter / year periods. */
#include "timeutil.h"

#include <stdio.h>
#include <string.h>

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

int64_t cqe_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = floor_div(y, 400);
    int64_t yoe = y - era * 400;                                  /* [0, 399] */
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1; /* [0, 365] */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;          /* [0, 146096] */
    return era * 146097 + doe - 719468;
}

void cqe_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int dd = (int)(doy - (153 * mp + 2) / 5 + 1);
    int mm = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (mm <= 2);
    *m = mm;
    *d = dd;
}

int cqe_weekday(int64_t days)
{
    /* 1970-01-01 was a Thursday (3 when Monday = 0) */
    return (int)(((days % 7) + 7 + 3) % 7);
}

static int is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int cqe_month_days(int64_t y, int m)
{
    static const int len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && is_leap(y))
        return 29;
    return len[m - 1];
}

/* Reads exactly `width` decimal digits at s; -1 when any is not a digit. */
static int digits(const char *s, int width)
{
    int v = 0;
    for (int i = 0; i < width; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static int parse_date(const char *s, int64_t *y, int *m, int *d)
{
    int yy = digits(s, 4), mm = digits(s + 5, 2), dd = digits(s + 8, 2);
    if (yy < 0 || mm < 0 || dd < 0 || s[4] != '-' || s[7] != '-')
        return CQE_TIME_SYNTAX;
    if (mm < 1 || mm > 12 || dd < 1 || dd > cqe_month_days(yy, mm))
        return CQE_TIME_DATE;
    *y = yy;
    *m = mm;
    *d = dd;
    return 0;
}

int cqe_date_parse(const char *s, size_t n, int64_t *out_days)
{
    int64_t y;
    int m, d;
    if (n != 10)
        return CQE_TIME_SYNTAX;
    int rc = parse_date(s, &y, &m, &d);
    if (rc)
        return rc;
    *out_days = cqe_days_from_civil(y, m, d);
    return 0;
}

int cqe_offset_parse(const char *s, size_t n, int *out_minutes)
{
    if (n == 1 && (s[0] == 'Z' || s[0] == 'z')) {
        *out_minutes = 0;
        return 0;
    }
    if (n != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':')
        return CQE_TIME_SYNTAX;
    int hh = digits(s + 1, 2), mm = digits(s + 4, 2);
    if (hh < 0 || mm < 0)
        return CQE_TIME_SYNTAX;
    if (hh > 23 || mm > 59)
        return CQE_TIME_DATE;
    *out_minutes = (s[0] == '-' ? -1 : 1) * (hh * 60 + mm);
    return 0;
}

int cqe_time_parse_rfc3339(const char *s, size_t n, int64_t *out_ms)
{
    /* YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM) */
    if (n < 20 || (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':')
        return CQE_TIME_SYNTAX;
    int64_t y;
    int m, d;
    int rc = parse_date(s, &y, &m, &d);
    int hh = digits(s + 11, 2), mi = digits(s + 14, 2), ss = digits(s + 17, 2);
    if (rc == CQE_TIME_SYNTAX || hh < 0 || mi < 0 || ss < 0)
        return CQE_TIME_SYNTAX;
    size_t i = 19;
    int64_t frac_ms = 0;
    if (i < n && s[i] == '.') {
        size_t start = ++i;
        int scale = 100;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            frac_ms += (s[i] - '0') * scale; /* digits below the ms truncate */
            scale /= 10;
            i++;
        }
        if (i == start)
            return CQE_TIME_SYNTAX;
    }
    int off;
    int orc = cqe_offset_parse(s + i, n - i, &off);
    if (orc == CQE_TIME_SYNTAX)
        return CQE_TIME_SYNTAX;
    if (rc || orc || hh > 23 || mi > 59 || ss > 59)
        return CQE_TIME_DATE;
    int64_t days = cqe_days_from_civil(y, m, d);
    int64_t ms = ((days * 24 + hh) * 60 + mi) * 60000 + ss * 1000 + frac_ms - (int64_t)off * 60000;
    if (ms < CQE_TS_MIN || ms >= CQE_TS_MAX)
        return CQE_TIME_RANGE;
    *out_ms = ms;
    return 0;
}

void cqe_time_format(int64_t ms, int offset_min, char *buf, size_t n)
{
    int64_t local = ms + (int64_t)offset_min * 60000;
    int64_t days = floor_div(local, CQE_MS_PER_DAY);
    int64_t rem = local - days * CQE_MS_PER_DAY;
    int64_t y;
    int m, d;
    cqe_civil_from_days(days, &y, &m, &d);
    int hh = (int)(rem / 3600000), mi = (int)(rem / 60000 % 60), ss = (int)(rem / 1000 % 60);
    int frac = (int)(rem % 1000);
    char off[16];
    int a = offset_min < 0 ? -offset_min : offset_min;
    if (offset_min == 0)
        snprintf(off, sizeof off, "Z");
    else
        snprintf(off, sizeof off, "%c%02d:%02d", offset_min < 0 ? '-' : '+', a / 60, a % 60);
    if (frac)
        snprintf(buf, n, "%04lld-%02d-%02dT%02d:%02d:%02d.%03d%s", (long long)y, m, d, hh, mi, ss, frac, off);
    else
        snprintf(buf, n, "%04lld-%02d-%02dT%02d:%02d:%02d%s", (long long)y, m, d, hh, mi, ss, off);
}

int64_t cqe_local_day(int64_t ms, int offset_min)
{
    return floor_div(ms + (int64_t)offset_min * 60000, CQE_MS_PER_DAY);
}

int64_t cqe_local_midnight(int64_t days, int offset_min)
{
    return days * CQE_MS_PER_DAY - (int64_t)offset_min * 60000;
}

static int64_t month_start(int64_t y, int m, int offset_min)
{
    while (m > 12) {
        m -= 12;
        y++;
    }
    return cqe_local_midnight(cqe_days_from_civil(y, m, 1), offset_min);
}

static void fill_period(struct cqe_period *p, enum cqe_period_kind kind, int64_t y, int num, int offset_min)
{
    p->kind = kind;
    p->year = y;
    p->num = num;
    switch (kind) {
    case CQE_PERIOD_MONTH:
        p->start_ms = month_start(y, num, offset_min);
        p->end_ms = month_start(y, num + 1, offset_min);
        snprintf(p->id, sizeof p->id, "%04lld-%02d", (long long)y, num);
        break;
    case CQE_PERIOD_QUARTER:
        p->start_ms = month_start(y, (num - 1) * 3 + 1, offset_min);
        p->end_ms = month_start(y, (num - 1) * 3 + 4, offset_min);
        snprintf(p->id, sizeof p->id, "%04lld-Q%d", (long long)y, num);
        break;
    case CQE_PERIOD_YEAR:
        p->start_ms = month_start(y, 1, offset_min);
        p->end_ms = month_start(y + 1, 1, offset_min);
        snprintf(p->id, sizeof p->id, "%04lld", (long long)y);
        break;
    }
}

void cqe_period_of(int64_t ms, enum cqe_period_kind kind, int offset_min, struct cqe_period *p)
{
    int64_t y;
    int m, d;
    cqe_civil_from_days(cqe_local_day(ms, offset_min), &y, &m, &d);
    int num = kind == CQE_PERIOD_MONTH ? m : kind == CQE_PERIOD_QUARTER ? (m - 1) / 3 + 1 : 0;
    fill_period(p, kind, y, num, offset_min);
}

int cqe_period_parse(const char *id, int offset_min, struct cqe_period *p)
{
    size_t n = strlen(id);
    int y = n >= 4 ? digits(id, 4) : -1;
    if (y < 0)
        return CQE_TIME_SYNTAX;
    if (n == 4) {
        fill_period(p, CQE_PERIOD_YEAR, y, 0, offset_min);
        return 0;
    }
    if (n == 7 && id[4] == '-' && id[5] == 'Q' && id[6] >= '1' && id[6] <= '4') {
        fill_period(p, CQE_PERIOD_QUARTER, y, id[6] - '0', offset_min);
        return 0;
    }
    int m = n == 7 && id[4] == '-' ? digits(id + 5, 2) : -1;
    if (m < 1 || m > 12)
        return CQE_TIME_SYNTAX;
    fill_period(p, CQE_PERIOD_MONTH, y, m, offset_min);
    return 0;
}

const char *cqe_period_kind_name(enum cqe_period_kind k)
{
    return k == CQE_PERIOD_MONTH ? "month" : k == CQE_PERIOD_QUARTER ? "quarter" : "year";
}

int64_t cqe_month_index(int64_t ms, int offset_min)
{
    int64_t y;
    int m, d;
    cqe_civil_from_days(cqe_local_day(ms, offset_min), &y, &m, &d);
    return y * 12 + (m - 1);
}

void cqe_period_months(const struct cqe_period *p, int64_t *first, int *count)
{
    switch (p->kind) {
    case CQE_PERIOD_MONTH:
        *first = p->year * 12 + p->num - 1;
        *count = 1;
        break;
    case CQE_PERIOD_QUARTER:
        *first = p->year * 12 + (p->num - 1) * 3;
        *count = 3;
        break;
    case CQE_PERIOD_YEAR:
        *first = p->year * 12;
        *count = 12;
        break;
    }
}
