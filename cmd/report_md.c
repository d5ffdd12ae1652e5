/* The Markdown rendering of a report: the JSON report document (cmd_report.c builds it)
 * written as the bilingual Markdown an evaluation authority reads and signs: identity,
 * coverage, the gradings, data quality, method, one section per target, departments. */
#include "report_md.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "report_units.h"

#define PROBE_WARN 0.5 /* a provider's probe coverage below this share is flagged */
#define PARTIAL_MARK " ⚠ 数据仅覆盖部分周期 data cover part of the period only (see Coverage)"

/* Sets err to "cannot write PATH: <the system's reason>" and returns CQE_EIO. */
static int write_failed(const char *path, int sys_errno, struct cqe_err *err)
{
    return cqe_err_set(err, CQE_EIO, "cannot write %s: %s", path, strerror(sys_errno));
}

/* The target as the report shows it: "Name (id)" when the configuration names the
 * provider, else its id. */
static const char *target_label(const json_t *names, const char *id, char *buf, size_t n)
{
    const char *name = json_string_value(json_object_get(names, id));
    if (!name)
        return id;
    snprintf(buf, n, "%s (%s)", name, id);
    return buf;
}

/* The title of a table of rows, then "无 none" when there is no row, else the table's
 * header (its two Markdown lines). */
static void md_table_head(FILE *f, const char *title, const json_t *rows, const char *header)
{
    fprintf(f, "\n%s:\n\n%s", title, json_array_size(rows) ? header : "无 none\n");
}

static void md_node(FILE *f, json_t *ind, const struct cqe_node *n, int depth)
{
    json_t *o = json_object_get(ind, n->id);
    json_t *val = json_object_get(o, "value"), *sc = json_object_get(o, "score");
    char value[48] = "", points[32] = "—";
    if (json_is_number(val))
        cqe_report_value(n->figure, json_number_value(val), value, sizeof value);
    else if (!n->n_children)
        snprintf(value, sizeof value, "不可评 n/a");
    if (json_is_number(sc))
        snprintf(points, sizeof points, "%.2f points", json_number_value(sc));
    fprintf(f, "| %*s%s %s (%s) | %s | %s | %g |\n", depth * 2, "", n->id, n->name, n->en, value, points,
            n->weight);
    for (size_t i = 0; i < n->n_children; i++)
        md_node(f, ind, &n->children[i], depth + 1);
}

/* The leaves whose weighted gap is largest, and the command that shows their evidence. */
static void md_raise(FILE *f, json_t *rec)
{
    json_t *raise = json_object_get(rec, "raise"), *x;
    size_t i;
    md_table_head(f, "最能提分 What would raise the score most (占总分 share × (100 − 得分 points))", raise,
                  "| 指标 Indicator | 占总分 Share of total | 得分 Points | 差距 Gap (points of the total) "
                  "|\n|---|---:|---:|---:|\n");
    json_array_foreach(raise, i, x) fprintf(
        f, "| %s %s (%s) | %.2f %% | %.2f | %.2f |\n", json_string_value(json_object_get(x, "id")),
        json_string_value(json_object_get(x, "name")), json_string_value(json_object_get(x, "en")),
        100 * json_number_value(json_object_get(x, "share")), json_number_value(json_object_get(x, "points")),
        json_number_value(json_object_get(x, "gap")));
    if (json_array_size(raise))
        fprintf(
            f,
            "\n证据 Evidence: `cloudqe explain --target %s --period %s --indicator %s` 列出影响该指标的条目 "
            "lists the items that moved it (over the same files or state).\n",
            json_string_value(json_object_get(rec, "target")),
            json_string_value(json_object_get(rec, "period")),
            json_string_value(json_object_get(json_array_get(raise, 0), "id")));
}

static void md_target(FILE *f, const struct cqe_model *m, json_t *rec, const json_t *names, bool partial)
{
    char label[512];
    json_t *score = json_object_get(rec, "score"), *grade = json_object_get(rec, "grade");
    fprintf(f, "\n## %s\n\n",
            target_label(names, json_string_value(json_object_get(rec, "target")), label, sizeof label));
    if (json_is_number(score))
        fprintf(f, "**总分 Score: %.2f — 等级 Grade: %s (%s)**%s\n\n", json_number_value(score),
                json_string_value(grade), json_string_value(json_object_get(rec, "grade_en")),
                partial ? PARTIAL_MARK : "");
    else
        fprintf(f, "**总分 Score: 不可评 not evaluable — 等级 Grade: %s**%s\n\n",
                json_is_string(grade) ? json_string_value(grade) : "无 none", partial ? PARTIAL_MARK : "");
    json_t *veto = json_object_get(rec, "veto");
    size_t i;
    json_t *x;
    if (json_array_size(veto)) {
        fprintf(f, "一票否决 Veto: 无论得分，等级均为 %s · the grade is %s whatever the score, because of:",
                json_string_value(grade), json_string_value(grade));
        json_array_foreach(veto, i, x) fprintf(f, " `%s`", json_string_value(x));
        fprintf(f, "\n\n");
    }
    fprintf(f, "| 指标 Indicator | 值 Value | 得分 Points | 权重 Weight |\n|---|---:|---:|---:|\n");
    for (size_t k = 0; k < m->root.n_children; k++)
        md_node(f, json_object_get(rec, "indicators"), &m->root.children[k], 0);
    json_t *why = json_object_get(rec, "not_evaluable_why");
    if (json_object_size(why)) {
        fprintf(f, "\n不可评指标 Not evaluable (weights re-normalised over the rest):\n\n");
        const char *k;
        json_object_foreach(why, k, x) fprintf(f, "- %s: %s\n", k, json_string_value(x));
    }
    md_raise(f, rec);
    json_t *top = json_object_get(rec, "top_incidents");
    md_table_head(f, "停机最多的故障 Incidents that cost most downtime", top,
                  "| 故障 Incident | 服务 Service | 级别 Severity | 发生 Opened | 停机 Downtime (h) "
                  "|\n|---|---|---:|---|---:|\n");
    json_array_foreach(top, i, x)
        fprintf(f, "| %s | %s | %lld | %s | %.2f |\n", json_string_value(json_object_get(x, "incident")),
                json_string_value(json_object_get(x, "service")),
                (long long)json_integer_value(json_object_get(x, "severity")),
                json_string_value(json_object_get(x, "opened")),
                json_number_value(json_object_get(x, "downtime_s")) / 3600.0);
    json_t *missed = json_object_get(rec, "sla_missed");
    md_table_head(f, "未达SLA的服务 Services that missed their SLA", missed,
                  "| 服务 Service | 可用性 Availability (%) | 目标 Target (%) | 停机 Downtime (h) "
                  "|\n|---|---:|---:|---:|\n");
    json_array_foreach(missed, i, x)
        fprintf(f, "| %s | %.5f%% | %.3f%% | %.2f |\n", json_string_value(json_object_get(x, "service")),
                100 * json_number_value(json_object_get(x, "availability")),
                100 * json_number_value(json_object_get(x, "target")),
                json_number_value(json_object_get(x, "downtime_s")) / 3600.0);
}

/* A score cell of the comparison table: "87.50 (优秀)" or "n/a". */
static void md_graded(FILE *f, const json_t *score, const json_t *grade)
{
    if (json_is_number(score))
        fprintf(f, " %.2f | %s |", json_number_value(score),
                json_is_string(grade) ? json_string_value(grade) : "—");
    else
        fprintf(f, " n/a | %s |", json_is_string(grade) ? json_string_value(grade) : "—");
}

static void md_compare(FILE *f, const json_t *cmp)
{
    fprintf(f,
            "\n## 模型比较 Model comparison\n\n基准 Base: 本报告的模型 this report's model · 对比 "
            "Compared: `%s` · 差值 Difference = 对比 compared − 基准 base.\n\n| 评价对象 Target | "
            "基准得分 Score (base) | 基准等级 Grade (base) | 对比得分 Score (compared) | 对比等级 Grade "
            "(compared) | 差值 Difference |\n|---|---:|---|---:|---|---:|\n",
            json_string_value(json_object_get(cmp, "model")));
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(cmp, "targets"), i, x)
    {
        json_t *d = json_object_get(x, "difference");
        fprintf(f, "| %s |", json_string_value(json_object_get(x, "target")));
        md_graded(f, json_object_get(x, "base_score"), json_object_get(x, "base_grade"));
        md_graded(f, json_object_get(x, "score"), json_object_get(x, "grade"));
        if (json_is_number(d))
            fprintf(f, " %+.2f |\n", json_number_value(d));
        else
            fprintf(f, " n/a |\n");
    }
}

/* "名称 Label: FILE (SHA-256 HEX)" of a "generated" entry, or its default. */
static void md_file(FILE *f, const char *label, const json_t *o)
{
    json_t *file = json_object_get(o, "file");
    if (json_is_string(file))
        fprintf(f, "%s: `%s` (SHA-256 `%s`)", label, json_string_value(file),
                json_string_value(json_object_get(o, "sha256")));
    else
        fprintf(f, "%s: %s", label, json_string_value(json_object_get(o, "sha256")));
}

/* The lines that identify the report: when, by which version, from which files. */
static void md_identity(FILE *f, const json_t *doc)
{
    const json_t *g = json_object_get(doc, "generated");
    fprintf(f, "生成 Generated: %s by cloudqe %s\n\n", json_string_value(json_object_get(g, "at")),
            json_string_value(json_object_get(g, "version")));
    md_file(f, "模型 Model", json_object_get(g, "model"));
    fprintf(f, " · ");
    md_file(f, "配置 Configuration", json_object_get(g, "config"));
    const json_t *ev = json_object_get(doc, "events");
    json_t *first = json_object_get(ev, "first"), *last = json_object_get(ev, "last");
    fprintf(f, "\n\n读取事件 Events read: %lld · 首个事件 first event: %s · 末个事件 last event: %s.\n\n",
            (long long)json_integer_value(json_object_get(ev, "read")),
            json_is_string(first) ? json_string_value(first) : "无 none",
            json_is_string(last) ? json_string_value(last) : "无 none");
    fprintf(f,
            "计入 Events applied: %lld · 重复丢弃 duplicates dropped: %lld · 死信 dead letters: %lld "
            "(见 see 数据质量 Data quality).\n\n",
            (long long)json_integer_value(json_object_get(ev, "applied")),
            (long long)json_integer_value(json_object_get(ev, "duplicates")),
            (long long)json_integer_value(json_object_get(ev, "dead_letters")));
}

/* The coverage line and, when the data cover too little of the period, the warning.
 * Returns whether the warning was given. */
static bool md_coverage(FILE *f, const json_t *cov)
{
    json_t *warn = json_object_get(cov, "warning");
    double share = 100 * json_number_value(json_object_get(cov, "share"));
    double covered = json_number_value(json_object_get(cov, "covered_s")) / 86400.0;
    double elapsed = json_number_value(json_object_get(cov, "elapsed_s")) / 86400.0;
    fprintf(f,
            "数据覆盖 Coverage: 事件跨越本周期已过时间的 %.1f %%（%.1f 天中的 %.1f 天）· the events span "
            "%.1f %% of the period's elapsed time (%.1f of %.1f days).\n\n",
            share, elapsed, covered, share, covered, elapsed);
    if (json_is_string(warn))
        fprintf(f,
                "> ⚠ **警告 Warning:** 事件仅覆盖本周期已过时间的 %.1f %%，本报告的各项得分与等级只反映"
                "这一部分，而非整个周期 · %s\n\n",
                share, json_string_value(warn));
    return json_is_string(warn);
}

/* A share as text in % with prec decimals, or "n/a" when v is not a number. */
static const char *pct(const json_t *v, int prec, char *buf, size_t n)
{
    if (!json_is_number(v))
        return "n/a";
    snprintf(buf, n, "%.*f %%", prec, 100 * json_number_value(v));
    return buf;
}

/* Probe coverage per provider (the share of each service's minutes with a probe result,
 * averaged over the services probed), flagged below PROBE_WARN; the first and last event
 * are those of all the data read (the state keeps no span per provider). */
static void md_probe_coverage(FILE *f, const json_t *doc)
{
    const json_t *ev = json_object_get(doc, "events");
    const char *first = json_string_value(json_object_get(ev, "first"));
    const char *last = json_string_value(json_object_get(ev, "last"));
    fprintf(f, "\n## 探测覆盖 Probe coverage per provider\n\n"
               "| 服务商 Provider | 探测覆盖 Probe coverage |\n|---|---:|\n");
    size_t i;
    json_t *rec;
    json_array_foreach(json_object_get(doc, "targets"), i, rec)
    {
        const char *t = json_string_value(json_object_get(rec, "target"));
        if (!strcmp(t, "platform"))
            continue;
        json_t *pc = json_object_get(json_object_get(rec, "figures"), "probe_coverage");
        char buf[32];
        bool low = json_is_number(pc) && json_number_value(pc) < PROBE_WARN;
        char label[512];
        fprintf(f, "| %s | %s%s |\n",
                target_label(json_object_get(doc, "provider_names"), t, label, sizeof label),
                pct(pc, 1, buf, sizeof buf),
                low ? " ⚠ 低于 50 %，可用性仅基于部分拨测 below 50 %, availability rests on partial probing"
                    : "");
    }
    fprintf(f,
            "\n数据起止 Data span: %s – %s（全部服务商 all providers: 状态不按服务商保存起止 the state "
            "keeps no span per provider）.\n",
            first ? first : "—", last ? last : "—");
}

/* What each dead-letter reason means, in Chinese and English (core/event.h names them;
 * docs/outputs.md gives the full account). */
static const char *reason_meaning(const char *reason)
{
    static const char *const meanings[][2] = {
        {"json_syntax", "不是合法的JSON a line that is not valid JSON"},
        {"missing_field", "缺少必填字段 a required field is missing"},
        {"bad_type", "字段类型错误 a field of the wrong JSON type"},
        {"bad_value", "字段取值无效 a field's value out of its range or set"},
        {"too_large", "记录超长 a record over the size limit"},
        {"bad_utf8", "不是合法的UTF-8 bytes that are not UTF-8"},
        {"unknown_type", "未知的事件类型 an event type the spec does not define"},
        {"unsupported_version", "不支持的格式版本 an event format version this build does not read"},
        {"period_archived", "所属周期已归档 an event of a period already archived (retention)"},
        {"incident_pending_limit",
         "未立案故障超出上限 an incident update beyond the bound on incidents never "
         "opened"},
        {"unattributed", "原因未保存 reason not kept (Redis state written before cloudqe 0.13)"},
    };
    for (size_t i = 0; i < sizeof meanings / sizeof *meanings; i++)
        if (!strcmp(meanings[i][0], reason))
            return meanings[i][1];
    return "";
}

/* The duplicates and dead letters: what was left out of the scores, and why. */
static void md_data_quality(FILE *f, const json_t *ev)
{
    long long read = (long long)json_integer_value(json_object_get(ev, "read"));
    long long dups = (long long)json_integer_value(json_object_get(ev, "duplicates"));
    long long dead = (long long)json_integer_value(json_object_get(ev, "dead_letters"));
    fprintf(
        f,
        "\n## 数据质量 Data quality\n\n"
        "| 项目 Item | 数量 Count | 占读取 Share of read | 说明 Meaning |\n|---|---:|---:|---|\n"
        "| 读取事件 Events read | %lld | 100.00 %% | 读入的记录 records read |\n"
        "| 计入事件 Events applied | %lld | %.2f %% | 计入评分的事件 events the scores rest on |\n"
        "| 重复丢弃 Duplicates dropped | %lld | %.2f %% | 同一事件id再次到达，只计一次 the same event id "
        "again (a redelivery or a re-sent copy): counted once |\n"
        "| 死信 Dead letters | %lld | %.2f %% | 被拒收的记录，各附原因，见死信文件或主题 records refused, "
        "each with its reason in the dead letters (file or topic) |\n",
        read, (long long)json_integer_value(json_object_get(ev, "applied")),
        read ? 100.0 * (double)json_integer_value(json_object_get(ev, "applied")) / (double)read : 0.0, dups,
        read ? 100.0 * (double)dups / (double)read : 0.0, dead,
        read ? 100.0 * (double)dead / (double)read : 0.0);
    json_t *by = json_object_get(ev, "dead_letters_by_reason");
    if (!json_object_size(by))
        return;
    fprintf(f, "\n死信按原因 Dead letters by reason:\n\n"
               "| 原因 Reason | 数量 Count | 说明 Meaning |\n|---|---:|---|\n");
    const char *k;
    json_t *x;
    json_object_foreach(by, k, x)
        fprintf(f, "| `%s` | %lld | %s |\n", k, (long long)json_integer_value(x), reason_meaning(k));
}

/* How the score is computed, in short, with the link to the full account. */
static void md_method(FILE *f, const struct cqe_model *m)
{
    fprintf(f, "\n## 评分方法 Method\n\n"
               "- 每个末级指标的值按其评分曲线折算为 0–100 分 · each leaf indicator's value is turned "
               "into points (0–100) by its curve (model.md).\n"
               "- 上级指标得分为可评子项得分的加权平均；不可评的指标不计入，其余权重重新归一 · a node's "
               "points are the weighted mean of its evaluable children; indicators that cannot be "
               "evaluated are left out and the weights re-normalised over the rest.\n"
               "- 等级 Grade bands (this report's model):");
    for (size_t i = 0; i < m->n_grades; i++) {
        const struct cqe_grade *g = &m->grades[i];
        if (g->has_min)
            fprintf(f, "%s %s %s ≥ %g", i ? "," : "", g->name, g->en, g->min);
        else
            fprintf(f, "%s %s %s 其余 below", i ? "," : "", g->name, g->en);
    }
    fprintf(f, ".\n"
               "- 一票否决 A veto sets the grade whatever the score.\n"
               "- 每项得分的证据 The evidence behind every figure: `cloudqe explain --target X --period P "
               "[--indicator ID]`, from the same files or state.\n"
               "- 完整说明及算例 Full account with a worked example: `docs/scoring.md` in the cloudqe "
               "sources.\n");
}

/* The department records: availability, cpu/mem mean, survey score, services, resources. */
static void md_depts(FILE *f, const json_t *depts)
{
    fprintf(f, "\n## 部门 Departments\n\n");
    if (!json_array_size(depts)) {
        fprintf(f, "无 none\n");
        return;
    }
    fprintf(f,
            "| 部门 Department | 可用性 Availability | CPU 均值 CPU mean | 内存均值 Memory mean | "
            "满意度 Survey score | 服务 Services | 资源 Resources |\n|---|---:|---:|---:|---:|---:|---:|\n");
    size_t i;
    json_t *d;
    json_array_foreach(depts, i, d)
    {
        char a[32], c[32], m[32], s[32] = "n/a";
        json_t *sv = json_object_get(d, "survey_score");
        if (json_is_number(sv))
            snprintf(s, sizeof s, "%.2f points", json_number_value(sv));
        fprintf(f, "| %s | %s | %s | %s | %s | %lld | %lld |\n",
                json_string_value(json_object_get(d, "dept")),
                pct(json_object_get(d, "availability"), 3, a, sizeof a),
                pct(json_object_get(d, "cpu_mean"), 1, c, sizeof c),
                pct(json_object_get(d, "mem_mean"), 1, m, sizeof m), s,
                (long long)json_integer_value(json_object_get(d, "services")),
                (long long)json_integer_value(json_object_get(d, "resources")));
    }
}

int cqe_report_write_md(const json_t *doc, const struct cqe_model *m, const struct cqe_period *period,
                        const char *path, struct cqe_err *err)
{
    FILE *md = fopen(path, "w");
    if (!md)
        return write_failed(path, errno, err);
    const char *as_of_s = json_string_value(json_object_get(doc, "as_of"));
    bool complete = json_is_true(json_object_get(doc, "complete"));
    fprintf(md, "# 政务云平台服务质量评价报告\n# Government cloud service quality evaluation — %s\n\n",
            period->id);
    static const char *const kind_zh[] = {"月", "季", "年"};
    fprintf(md, "评价周期 Period: %s (%s %s) · 数据截至 Data as of: %s%s\n\n", period->id,
            kind_zh[period->kind <= CQE_PERIOD_YEAR ? period->kind : CQE_PERIOD_YEAR],
            cqe_period_kind_name(period->kind), as_of_s,
            complete ? "" : " (周期未结束 period not complete: to date)");
    md_identity(md, doc);
    bool partial = md_coverage(md, json_object_get(doc, "coverage"));
    fprintf(md, "| 评价对象 Target | 总分 Score (points) | 等级 Grade |\n|---|---:|---|\n");
    size_t i;
    json_t *rec;
    json_array_foreach(json_object_get(doc, "targets"), i, rec)
    {
        json_t *sc = json_object_get(rec, "score"), *g = json_object_get(rec, "grade");
        char label[512];
        fprintf(md, "| %s | %s%.2f | %s |\n",
                target_label(json_object_get(doc, "provider_names"),
                             json_string_value(json_object_get(rec, "target")), label, sizeof label),
                json_is_number(sc) ? "" : "n/a ", json_is_number(sc) ? json_number_value(sc) : 0.0,
                json_is_string(g) ? json_string_value(g) : "—");
    }
    if (json_object_get(doc, "compare"))
        md_compare(md, json_object_get(doc, "compare"));
    md_probe_coverage(md, doc);
    md_data_quality(md, json_object_get(doc, "events"));
    md_method(md, m);
    json_array_foreach(json_object_get(doc, "targets"), i, rec)
        md_target(md, m, rec, json_object_get(doc, "provider_names"), partial);
    md_depts(md, json_object_get(doc, "departments"));
    fprintf(md,
            "\n---\n得分为可评指标的加权平均（model.md），未经舍入的数值见 report-%s.json · scores "
            "are weighted means over evaluable indicators (model.md); values are unrounded in "
            "report-%s.json.\n",
            period->id, period->id);
    errno = 0;
    int bad = ferror(md), e = errno;
    if (fclose(md) && !bad) {
        bad = 1;
        e = errno;
    }
    return bad ? write_failed(path, e ? e : EIO, err) : 0;
}
