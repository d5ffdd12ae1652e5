/* `cloudqe report`: the evaluation report of one period (normally a year) as Markdown and
 * JSON: per provider and for the platform, the indicator tree with values, points and
 * weights, the grade, any veto, what was not evaluable and why, the incidents that cost
 * most downtime and the services that missed their SLA; from event files or the Redis
 * state, optionally beside a second model's grading, naming its own provenance. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "eval_setup.h"
#include "explain.h"
#include "file_digest.h"
#include "json_out.h"
#include "replay_load.h"
#include "report_md.h"
#include "snapshots.h"
#include "timeutil.h"
#include "version.h"

#define TOP_INCIDENTS 10
#define RAISE_TOP 5       /* leaves listed under "what would raise the score most" */
#define COVERAGE_WARN 0.5 /* below this share of the period's elapsed time: a warning */

/* What every period's report of one run shares: the counts and time span of the events
 * read, and "generated" (time, version, model and configuration with their SHA-256). */
struct report_src {
    const struct cqe_pipeline_counts *counts;
    bool has_ts;
    int64_t first_ts, last_ts; /* of the events applied, when has_ts */
    json_t *generated;         /* borrowed */
};

static const char *why_not(const char *leaf)
{
    static const char *const reasons[][2] = {
        {"A1.1",
         "范围内没有维护期外有约定服务时间的服务 · no service in scope with agreed time outside maintenance"},
        {"A1.2", "该评价对象范围内没有服务 · no service in scope for this target"},
        {"A2.1", "没有已响应或已超时的故障（未到期的不计） · no incident answered or overdue (pending ones "
                 "are left out)"},
        {"A2.2", "没有已恢复或已超时的故障（未到期的不计） · no incident recovered or overdue (pending ones "
                 "are left out)"},
        {"A2.3", "没有已关闭或已超时的工单（未到期的不计） · no ticket closed or overdue (pending ones are "
                 "left out)"},
        {"A3.1", "周期内没有备份事件 · no backup events in the period"},
        {"A3.2", "周期内没有有备份事件的服务 · no service with backup events in the period"},
        {"A3.3",
         "没有计划的容灾演练，本周期也无要求 · no DR drill planned, and none required for this period"},
        {"A4.1", "没有计划的应急演练，本周期也无要求 · no emergency drill planned, and none required for "
                 "this period"},
        {"A4.2", "没有已修复或已超时的漏洞（未到期的不计） · no vulnerability fixed or overdue (pending ones "
                 "are left out)"},
        {"A5.1", "没有可评可用性的服务 · no service with evaluable availability"},
        {"A5.2", "周期内没有完成的迁移 · no migration done in the period"},
        {"A5.3", "周期内没有审计的操作 · no audited operation in the period"},
        {"B1.1", "没有CPU采样 · no CPU samples"},
        {"B1.2", "没有内存采样 · no memory samples"},
        {"B1.3", "没有有CPU采样的虚拟机 · no vm with CPU samples"},
        {"B2", "没有存储采样 · no storage samples"},
        {"B3", "没有带宽采样 · no bandwidth samples"},
        {"B4.1", "观测期末没有在用的主机设备资产 · no server asset active at the end of the observed span"},
        {"B4.2",
         "观测期末没有在用的系统软件资产 · no system-software asset active at the end of the observed span"},
        {"C1", "没有配置维度上的满意度答卷 · no survey answer on a configured dimension"},
        {"C2", "没有工单回访反馈 · no ticket follow-up feedback"},
        {"C3", "周期内没有新开工单 · no ticket opened in the period"},
    };
    for (size_t i = 0; i < sizeof reasons / sizeof *reasons; i++)
        if (!strcmp(reasons[i][0], leaf))
            return reasons[i][1];
    return "无数据 · no data";
}

struct cost {
    size_t incident;
    double downtime_s;
};

static int by_cost(const void *a, const void *b)
{
    const struct cost *x = a, *y = b;
    return (x->downtime_s < y->downtime_s) - (x->downtime_s > y->downtime_s);
}

/* Adds "top_incidents" and "sla_missed" for a target to the JSON record. */
static int add_details(const struct cqe_period_eval *pe, size_t target, json_t *rec)
{
    const struct cqe_view *v = pe->view;
    struct cost *c = calloc(v->incident_ids.n ? v->incident_ids.n : 1, sizeof *c);
    if (!c)
        return CQE_ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < v->incident_ids.n; i++) {
        const struct cqe_incident *in = &v->inc[i];
        if (!in->has_open || in->service == CQE_NONE ||
            (target != CQE_NONE && v->svc[in->service].provider != target))
            continue;
        double d = cqe_fig_incident_downtime(pe, i);
        if (d > 0)
            c[n++] = (struct cost){i, d};
    }
    qsort(c, n, sizeof *c, by_cost);
    json_t *top = json_array();
    for (size_t k = 0; k < n && k < TOP_INCIDENTS; k++) {
        const struct cqe_incident *in = &v->inc[c[k].incident];
        char open[48];
        cqe_time_format(in->open_ts, v->cfg->utc_offset_min, open, sizeof open);
        json_t *o = json_object();
        json_object_set_new(o, "incident", json_string(v->incident_ids.keys[c[k].incident]));
        json_object_set_new(o, "service", json_string(v->services.keys[in->service]));
        json_object_set_new(o, "severity", json_integer(in->severity));
        json_object_set_new(o, "opened", json_string(open));
        json_object_set_new(o, "downtime_s", json_real(c[k].downtime_s));
        json_array_append_new(top, o);
    }
    free(c);
    json_object_set_new(rec, "top_incidents", top);
    json_t *missed = json_array();
    for (size_t i = 0; i < pe->n_svc; i++) {
        const struct cqe_service_figures *f = &pe->svc[i];
        const struct cqe_service *sv = &v->svc[f->service];
        if (!f->availability.has || f->sla_met || (target != CQE_NONE && sv->provider != target))
            continue;
        json_t *o = json_object();
        json_object_set_new(o, "service", json_string(v->services.keys[f->service]));
        json_object_set_new(o, "availability", json_real(f->availability.v));
        json_object_set_new(o, "target", json_real(sv->target));
        json_object_set_new(o, "downtime_s", json_real(f->downtime_s));
        json_array_append_new(missed, o);
    }
    json_object_set_new(rec, "sla_missed", missed);
    json_t *why = json_object();
    size_t k;
    json_t *leaf;
    json_array_foreach(json_object_get(rec, "not_evaluable"), k, leaf)
        json_object_set_new(why, json_string_value(leaf), json_string(why_not(json_string_value(leaf))));
    json_object_set_new(rec, "not_evaluable_why", why);
    return 0;
}

/* Adds "raise" to a target's record: the RAISE_TOP leaves whose weighted gap (share of
 * the total x (100 - points)) is largest, as `cloudqe explain` lists them for the root.
 * Returns 0 or a negative rc with err set. */
static int add_raise(const struct cqe_view *view, const struct cqe_model *m, const struct cqe_period *period,
                     int64_t as_of, const char *target, json_t *rec, struct cqe_err *err)
{
    void *root = NULL;
    int rc = cqe_explain_build(view, m, period, as_of, target, NULL, &root, err);
    if (rc)
        return rc;
    json_t *all = json_object_get(root, "raise"), *top = json_array();
    for (size_t i = 0; i < json_array_size(all) && i < RAISE_TOP; i++)
        json_array_append(top, json_array_get(all, i));
    json_object_set_new(rec, "raise", top);
    cqe_explain_free(root);
    return 0;
}

struct collect {
    json_t *targets, *depts;
};

static int collect_record(void *record, void *arg)
{
    struct collect *c = arg;
    const char *kind = json_string_value(json_object_get(record, "kind"));
    json_array_append(kind && !strcmp(kind, "dept") ? c->depts : c->targets, record);
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: cloudqe report --period ID [OPTIONS] (--state URL | FILE...)\n"
            "                                                 (FILE: NDJSON, .zst, or - for stdin)\n"
            "Writes the evaluation report of a period as DIR/report-<period>.md and\n"
            "DIR/report-<period>.json: per provider and for the platform, the indicator tree\n"
            "with values, points and weights, the grade, any veto, what was not evaluable and\n"
            "why, the incidents that cost most downtime and the services that missed their SLA.\n"
            "Each report names itself: when and by which cloudqe version it was generated, the\n"
            "SHA-256 of the model and configuration files, the events read, duplicates and\n"
            "dead letters, the first and last event time, and the share of the period's\n"
            "elapsed time the events span, with a warning under 50 %%.\n"
            "  --period ID      2026, 2026-Q1 or 2026-03 (required); repeatable: one report\n"
            "                   per period, all from one reading of the files\n"
            "  --state URL      read the Redis state the workers keep (redis://HOST:PORT/DB,\n"
            "                   as `snapshot --state`) instead of event FILEs\n"
            "  --out DIR        where the reports go (default .); created when missing, and\n"
            "                   checked writable before any FILE is read\n"
            "  --config FILE    configuration (docs/spec/config.md); default: every default\n"
            "  --model FILE     indicator model; default: the built-in model of model.md\n"
            "  --compare-model M  grade once more under the model file M and add both gradings\n"
            "                   side by side per target (score, grade, difference M - base):\n"
            "                   a table in the Markdown, a \"compare\" object in the JSON\n"
            "  --as-of TIME     RFC 3339 instant the report describes (default: the largest\n"
            "                   event ts read, or the clock with \"clock\": \"wall\")\n"
            "Each FILE is checked (exists, readable, a file or a pipe) before any is read.\n"
            "Progress on a terminal: while reading, stderr shows events, ev/s, %% done (of the\n"
            "files' bytes) and the time left.\n"
            "\n"
            "Example:\n"
            "  cloudqe report --config cfg.json --period 2026 --out reports/ month.ndjson.zst\n"
            "  cloudqe report --config cfg.json --period 2026 --state redis://127.0.0.1:6390/0\n"
            "  cloudqe report --period 2026 --model base.json --compare-model draft.json month.ndjson.zst\n");
}

/* Sets err to "cannot write PATH: <the system's reason>" and returns CQE_EIO. */
static int write_failed(const char *path, int sys_errno, struct cqe_err *err)
{
    return cqe_err_set(err, CQE_EIO, "cannot write %s: %s", path, strerror(sys_errno));
}

/* Writes doc to path as indented JSON. Returns 0 or CQE_EIO naming the file and why. */
static int write_json(const json_t *doc, const char *path, struct cqe_err *err)
{
    errno = 0;
    if (cqe_json_dump_file(doc, path, JSON_INDENT(1) | JSON_PRESERVE_ORDER))
        return write_failed(path, errno ? errno : EIO, err);
    return 0;
}

/* The score of rec as a JSON number, or null when not evaluable (new reference). */
static json_t *score_of(const json_t *rec)
{
    json_t *sc = json_object_get(rec, "score");
    return json_is_number(sc) ? json_real(json_number_value(sc)) : json_null();
}

/* The grade of rec (new reference; null when none). */
static json_t *grade_of(const json_t *rec)
{
    json_t *g = json_object_get(rec, "grade");
    return json_is_string(g) ? json_string(json_string_value(g)) : json_null();
}

/* The "compare" object: per target of base (the records under the report's model), the
 * score and grade under it and under cmp, and cmp's score minus the base's (null when
 * either is not evaluable). *out is a new reference. Returns 0 or a negative rc. */
static int compare_models(const struct cqe_view *view, const struct cqe_model *cmp, const char *cmp_path,
                          const struct cqe_emit_options *eo, json_t *base, json_t **out, struct cqe_err *err)
{
    struct collect col = {json_array(), json_array()};
    int rc = col.targets ? cqe_emit_records(view, cmp, eo, collect_record, &col, err)
                         : cqe_err_set(err, CQE_ENOMEM, "out of memory");
    json_t *rows = json_array();
    size_t i;
    json_t *rec;
    json_array_foreach(base, i, rec)
    {
        const char *t = json_string_value(json_object_get(rec, "target"));
        json_t *other = NULL, *o = json_object(), *x;
        size_t k;
        json_array_foreach(col.targets, k, x) if (!strcmp(t, json_string_value(json_object_get(x, "target"))))
            other = x;
        json_t *a = score_of(rec), *b = score_of(other);
        json_object_set_new(o, "target", json_string(t));
        json_object_set_new(o, "base_score", a);
        json_object_set_new(o, "base_grade", grade_of(rec));
        json_object_set_new(o, "score", b);
        json_object_set_new(o, "grade", grade_of(other));
        json_object_set_new(o, "difference",
                            json_is_number(a) && json_is_number(b)
                                ? json_real(json_number_value(b) - json_number_value(a))
                                : json_null());
        json_array_append_new(rows, o);
    }
    *out = json_object();
    json_object_set_new(*out, "model", json_string(cmp_path));
    json_object_set_new(*out, "targets", rows);
    json_decref(col.targets);
    json_decref(col.depts);
    return rc;
}

/* {reason: count} of the dead letters counted by reason (the non-zero ones, in the order
 * of core/event.h), and "unattributed": the rest of the total, dead letters of a Redis
 * state written before 0.13 kept the reason of incident_pending_limit only. New
 * reference. */
static json_t *by_reason(const struct cqe_pipeline_counts *counts)
{
    json_t *o = json_object();
    int64_t named = 0;
    for (int k = 0; k < CQE_R__COUNT; k++)
        if (counts->by_reason[k]) {
            json_object_set_new(o, cqe_reason_name((enum cqe_reason)k), json_integer(counts->by_reason[k]));
            named += counts->by_reason[k];
        }
    if (counts->dead_letters > named)
        json_object_set_new(o, "unattributed", json_integer(counts->dead_letters - named));
    return o;
}

/* The "coverage" object of period: the time from its start to as_of (or its end), the
 * part of it inside the span of the events, their share, and a warning below
 * COVERAGE_WARN (null otherwise). New reference, or NULL out of memory. */
static json_t *coverage(const struct cqe_period *period, int64_t as_of, const struct report_src *src)
{
    int64_t end = as_of < period->end_ms ? as_of : period->end_ms;
    int64_t elapsed = end > period->start_ms ? end - period->start_ms : 0, covered = 0;
    if (src->has_ts) {
        int64_t a = src->first_ts > period->start_ms ? src->first_ts : period->start_ms;
        int64_t b = src->last_ts < end ? src->last_ts : end;
        covered = b > a ? b - a : 0;
    }
    double share = elapsed ? (double)covered / (double)elapsed : 0;
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "elapsed_s", json_real(elapsed / 1000.0));
    json_object_set_new(o, "covered_s", json_real(covered / 1000.0));
    json_object_set_new(o, "share", json_real(share));
    if (share < COVERAGE_WARN) {
        char msg[256];
        snprintf(msg, sizeof msg,
                 "the events cover only %.1f %% of the period's elapsed time; every score and grade of "
                 "this report describes that part, not the period %s as a whole",
                 100 * share, period->id);
        json_object_set_new(o, "warning", json_string(msg));
    } else {
        json_object_set_new(o, "warning", json_null());
    }
    return o;
}

/* Builds the report of one period from the view and writes both files into out_dir;
 * with cmp (a second model loaded from cmp_path, else NULL) the gradings side by side. */
static int report_period(const struct cqe_view *view, const struct cqe_model *m, const struct cqe_model *cmp,
                         const char *cmp_path, const struct cqe_period *period, int64_t as_of,
                         const struct report_src *src, const char *out_dir, struct cqe_err *err)
{
    const struct cqe_pipeline_counts *counts = src->counts;
    struct collect col = {json_array(), json_array()};
    struct cqe_period_eval pe;
    bool pe_ready = false;
    json_t *doc = NULL, *compare = NULL;
    struct cqe_emit_options eo = {
        period, 1, as_of, {counts->applied, counts->dead_letters, counts->duplicates, 0}, NULL, false, true};
    int rc = col.targets && col.depts ? cqe_emit_records(view, m, &eo, collect_record, &col, err)
                                      : cqe_err_set(err, CQE_ENOMEM, "out of memory");
    if (rc)
        goto out;
    if (cqe_period_eval_init(&pe, view, period, as_of)) {
        rc = cqe_err_set(err, CQE_ENOMEM, "out of memory");
        goto out;
    }
    pe_ready = true;
    size_t i;
    json_t *rec;
    json_array_foreach(col.targets, i, rec)
    {
        const char *t = json_string_value(json_object_get(rec, "target"));
        size_t target = strcmp(t, "platform") ? cqe_strmap_find(&view->providers, t, strlen(t)) : CQE_NONE;
        if (add_details(&pe, target, rec)) {
            rc = cqe_err_set(err, CQE_ENOMEM, "out of memory");
            goto out;
        }
        if ((rc = add_raise(view, m, period, as_of, t, rec, err)))
            goto out;
    }
    if (cmp && (rc = compare_models(view, cmp, cmp_path, &eo, col.targets, &compare, err)))
        goto out;
    char as_of_s[48], path[4096];
    cqe_time_format(as_of, view->cfg->utc_offset_min, as_of_s, sizeof as_of_s);
    doc = json_object();
    json_object_set_new(doc, "kind", json_string("report"));
    json_object_set_new(doc, "period", json_string(period->id));
    json_object_set_new(doc, "as_of", json_string(as_of_s));
    json_object_set_new(doc, "complete", json_boolean(as_of >= period->end_ms));
    json_object_set(doc, "generated", src->generated);
    json_t *ev = json_object();
    json_object_set_new(ev, "read", json_integer(counts->read));
    json_object_set_new(ev, "applied", json_integer(counts->applied));
    json_object_set_new(ev, "duplicates", json_integer(counts->duplicates));
    json_object_set_new(ev, "dead_letters", json_integer(counts->dead_letters));
    json_object_set_new(ev, "dead_letters_by_reason", by_reason(counts));
    char ts[48];
    cqe_time_format(src->first_ts, view->cfg->utc_offset_min, ts, sizeof ts);
    json_object_set_new(ev, "first", src->has_ts ? json_string(ts) : json_null());
    cqe_time_format(src->last_ts, view->cfg->utc_offset_min, ts, sizeof ts);
    json_object_set_new(ev, "last", src->has_ts ? json_string(ts) : json_null());
    json_object_set_new(doc, "events", ev);
    json_object_set_new(doc, "coverage", coverage(period, as_of, src));
    json_object_set(doc, "targets", col.targets);
    json_object_set(doc, "departments", col.depts);
    json_object_set_new(doc, "provider_names",
                        view->cfg->provider_names ? json_deep_copy(view->cfg->provider_names)
                                                  : json_object());
    if (compare)
        json_object_set(doc, "compare", compare);
    size_t n = strlen(out_dir);
    const char *sep = n && out_dir[n - 1] == '/' ? "" : "/"; /* --out reports/ */
    snprintf(path, sizeof path, "%s%sreport-%s.json", out_dir, sep, period->id);
    if ((rc = write_json(doc, path, err)))
        goto out;
    snprintf(path, sizeof path, "%s%sreport-%s.md", out_dir, sep, period->id);
    if ((rc = cqe_report_write_md(doc, m, period, path, err)))
        goto out;
    fprintf(stderr, "report: wrote %s and .json\n", path);
out:
    json_decref(doc);
    json_decref(compare);
    json_decref(col.targets);
    json_decref(col.depts);
    if (pe_ready)
        cqe_period_eval_fini(&pe);
    return rc;
}

/* {"file": path, "sha256": its digest} or, without path, {"file": null, "sha256": dflt}
 * into g under name. Returns 0 or a negative rc with err naming the file. */
static int add_file(json_t *g, const char *name, const char *path, const char *dflt, struct cqe_err *err)
{
    char hex[CQE_SHA256_HEX] = "";
    int rc = path ? cqe_file_sha256(path, hex, err) : 0;
    json_t *o = json_object();
    json_object_set_new(o, "file", path ? json_string(path) : json_null());
    json_object_set_new(o, "sha256", json_string(path ? hex : dflt));
    json_object_set_new(g, name, o);
    return rc;
}

/* The "generated" object: the wall-clock time now, the version, and the model, the
 * configuration and the compared model (each path NULL when not given) with their
 * SHA-256, read before any event so that the digests are of the files used. */
static int generated(const char *model_path, const char *config_path, const char *cmp_path, int offset_min,
                     json_t **out, struct cqe_err *err)
{
    char at[48];
    cqe_time_format(cqe_wall_ms(), offset_min, at, sizeof at);
    json_t *g = json_object();
    if (!(*out = g))
        return cqe_err_set(err, CQE_ENOMEM, "out of memory");
    json_object_set_new(g, "at", json_string(at));
    json_object_set_new(g, "version", json_string(CQE_VERSION));
    int rc = add_file(g, "model", model_path, "built-in", err);
    if (!rc)
        rc = add_file(g, "config", config_path, "defaults", err);
    if (!rc && cmp_path)
        rc = add_file(g, "compare_model", cmp_path, "", err);
    return rc;
}

/* Reads the Redis state at url into *store (owned by the caller, freed by it on error
 * too) and its outcome counts into *counts, resolving as_of and the periods as
 * `snapshot --state` does. Returns 0 or a negative rc with err set. */
static int load_state(struct cqe_eval_setup *es, const char *url, struct cqe_store **store,
                      struct cqe_pipeline_counts *counts, struct cqe_err *err)
{
    struct cqe_redis *r = NULL;
    struct cqe_redis_counts rc_counts = {0};
    int rc = cqe_eval_setup_load_state(es, url, &r, store, &rc_counts, err);
    cqe_redis_free(r);
    *counts = (struct cqe_pipeline_counts){.read = rc_counts.read,
                                           .applied = rc_counts.applied,
                                           .duplicates = rc_counts.duplicates,
                                           .dead_letters = rc_counts.dead_letters};
    for (int k = 0; k < CQE_R__COUNT; k++)
        counts->by_reason[k] = rc_counts.by_reason[k];
    return rc;
}

int cqe_cmd_report(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, 0, 'c'},
                                         {"model", required_argument, 0, 'm'},
                                         {"as-of", required_argument, 0, 'a'},
                                         {"period", required_argument, 0, 'p'},
                                         {"out", required_argument, 0, 'o'},
                                         {"state", required_argument, 0, 's'},
                                         {"compare-model", required_argument, 0, 'M'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *config_path = NULL, *model_path = NULL, *as_of_text = NULL, *out_dir = ".", *state = NULL,
               *cmp_path = NULL;
    const char *period_ids[CQE_MAX_PERIODS];
    size_t n_periods = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config_path = optarg; break;
        case 'm': model_path = optarg; break;
        case 'a': as_of_text = optarg; break;
        case 'o': out_dir = optarg; break;
        case 's': state = optarg; break;
        case 'M': cmp_path = optarg; break;
        case 'p': /* past the bound only counted: cqe_eval_setup_check_args refuses it */
            if (n_periods < CQE_MAX_PERIODS)
                period_ids[n_periods] = optarg;
            n_periods++;
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!n_periods || (optind >= argc) == !state) {
        fprintf(stderr, "report: %s\n",
                !n_periods ? "give --period ID (e.g. --period 2026)"
                : state    ? "read either --state URL or event FILEs, not both"
                           : "name at least one FILE (or - for stdin)");
        usage(stderr);
        return 2;
    }
    struct cqe_eval_setup es;
    struct cqe_err err = {0};
    struct cqe_store *merged = NULL;
    struct cqe_pipeline_counts counts;
    struct cqe_view *view = NULL;
    if (cqe_eval_setup_check_args(period_ids, n_periods, as_of_text, &err)) {
        fprintf(stderr, "report: %s\n", err.msg);
        return 2;
    }
    /* every name is checked before the files are read: a mistyped one must not cost
     * the minutes of a year's reading */
    if ((!state && cqe_cli_check_inputs(argv + optind, argc - optind, &err)) ||
        cqe_cli_out_dir(out_dir, &err)) {
        fprintf(stderr, "report: %s\n", err.msg);
        return 1;
    }
    int status = 1;
    struct cqe_progress_line progress;
    struct cqe_model cmp;
    bool cmp_loaded = false;
    json_t *gen = NULL;
    if (cqe_eval_setup_init(&es, config_path, model_path, period_ids, n_periods, as_of_text, &err))
        goto fail;
    if (cmp_path) { /* checked before the events are read, as the base model */
        if (cqe_model_load_file(&cmp, cmp_path, &err))
            goto fail;
        cmp_loaded = true;
    }
    if (generated(model_path, config_path, cmp_path, es.cfg.utc_offset_min, &gen, &err))
        goto fail;
    if (state) {
        if (load_state(&es, state, &merged, &counts, &err))
            goto fail;
    } else {
        cqe_progress_line_start(&progress, "report", false,
                                cqe_progress_line_bytes(argv + optind, argc - optind));
        if (cqe_replay_load(&es.cfg, argv + optind, argc - optind, NULL, 1, &progress, &merged, &counts,
                            &err))
            goto fail;
        cqe_eval_setup_resolve(&es, counts.max_ts, counts.applied > 0);
    }
    if (!(view = cqe_view_build(merged, &es.cfg, &err)))
        goto fail;
    const struct cqe_cell *lo = cqe_store_get(merged, cqe_key_max_ts, strlen(cqe_key_max_ts),
                                              CQE_FIELD_MIN_TS, strlen(CQE_FIELD_MIN_TS), CQE_OP_MIN);
    const struct cqe_cell *hi = cqe_store_get(merged, cqe_key_max_ts, strlen(cqe_key_max_ts),
                                              CQE_FIELD_MAX_TS, strlen(CQE_FIELD_MAX_TS), CQE_OP_MAX);
    struct report_src src = {&counts, lo && hi, lo ? (int64_t)lo->d : 0, hi ? (int64_t)hi->d : 0, gen};
    for (size_t i = 0; i < es.n_periods; i++)
        if (report_period(view, &es.model, cmp_loaded ? &cmp : NULL, cmp_path, &es.periods[i], es.as_of, &src,
                          out_dir, &err))
            goto fail;
    status = 0;
    goto out;
fail:
    fprintf(stderr, "report: %s\n", err.msg);
out:
    json_decref(gen);
    if (cmp_loaded)
        cqe_model_fini(&cmp);
    cqe_view_free(view);
    cqe_store_free(merged);
    cqe_eval_setup_fini(&es);
    return status;
}
