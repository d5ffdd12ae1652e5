/* Time: RFC 3339 and epoch parsing, civil dates in a fixed UTC offset, and the
 * month / quarter / year periods of semantics.md. Pure functions, thread-safe. */
#ifndef CQE_TIMEUTIL_H
#define CQE_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

#define CQE_TS_MIN INT64_C(946684800000)  /* 2000-01-01T00:00:00Z */
#define CQE_TS_MAX INT64_C(4133980800000) /* 2101-01-01T00:00:00Z, exclusive */
#define CQE_MS_PER_DAY INT64_C(86400000)

/* Parse results of cqe_time_parse_rfc3339. */
enum cqe_time_rc {
    CQE_TIME_OK = 0,
    CQE_TIME_SYNTAX = -1, /* not RFC 3339 with offset */
    CQE_TIME_DATE = -2,   /* not a real calendar date / time of day / offset */
    CQE_TIME_RANGE = -3   /* outside [2000-01-01Z, 2101-01-01Z) */
};

/* "2026-03-01T08:00:00.123+08:00" or "...Z" (T/Z case-insensitive) to ms UTC;
 * digits below the millisecond truncate. Returns an enum cqe_time_rc. */
int cqe_time_parse_rfc3339(const char *s, size_t n, int64_t *out_ms);

/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
int64_t cqe_days_from_civil(int64_t y, int m, int d);
void cqe_civil_from_days(int64_t days, int64_t *y, int *m, int *d);

/* 0 = Monday ... 6 = Sunday. */
int cqe_weekday(int64_t days);

/* Days in month m of year y. */
int cqe_month_days(int64_t y, int m);

/* "YYYY-MM-DD" to days since epoch; returns 0 or CQE_TIME_SYNTAX/CQE_TIME_DATE. */
int cqe_date_parse(const char *s, size_t n, int64_t *out_days);

/* "+08:00" / "-05:30" / "Z" to minutes east of UTC; returns 0 or a cqe_time_rc. */
int cqe_offset_parse(const char *s, size_t n, int *out_minutes);

/* Writes RFC 3339 of ms in the offset: "2026-03-18T10:00:00+08:00", with ".123"
 * only when ms has a millisecond part. buf of 40 bytes is enough. */
void cqe_time_format(int64_t ms, int offset_min, char *buf, size_t n);

/* Local civil day (days since epoch) holding instant ms in the offset. */
int64_t cqe_local_day(int64_t ms, int offset_min);

/* Instant (ms UTC) of local midnight starting local day `days`. */
int64_t cqe_local_midnight(int64_t days, int offset_min);

enum cqe_period_kind { CQE_PERIOD_MONTH, CQE_PERIOD_QUARTER, CQE_PERIOD_YEAR };

struct cqe_period {
    enum cqe_period_kind kind;
    int64_t year;
    int num;          /* month 1-12, quarter 1-4, 0 for a year */
    int64_t start_ms; /* inclusive */
    int64_t end_ms;   /* exclusive */
    char id[16];      /* "2026", "2026-Q1", "2026-03" */
};

/* Period of `kind` holding instant ms. */
void cqe_period_of(int64_t ms, enum cqe_period_kind kind, int offset_min, struct cqe_period *p);

/* Parses "2026", "2026-Q1" or "2026-03"; returns 0 or CQE_TIME_SYNTAX. */
int cqe_period_parse(const char *id, int offset_min, struct cqe_period *p);

/* "month", "quarter", "year". */
const char *cqe_period_kind_name(enum cqe_period_kind k);

/* Month bucket index (year*12 + month-1) of instant ms in the offset: the
 * granularity of stored state; quarters and years merge their months. */
int64_t cqe_month_index(int64_t ms, int offset_min);

/* First month index and count of months in a period. */
void cqe_period_months(const struct cqe_period *p, int64_t *first, int *count);

#endif
