/* The explain record as text (see explain.h): Chinese labels with the English beside
 * them; the largest effects first, long lists cut with a count of what --json holds. */
#include <jansson.h>
#include <math.h>
#include <string.h>

#include "explain.h"

#define MAX_ITEMS 20
#define MAX_NESTED 30

struct label {
    const char *key, *text;
};

static const struct label labels[] = {
    /* kinds */
    {"service", "服务 service"},
    {"incident", "故障 incident"},
    {"probe_down", "拨测失败 probe down"},
    {"maintenance", "维护窗口 maintenance"},
    {"ticket", "工单 ticket"},
    {"vulnerability", "漏洞 vulnerability"},
    {"drill", "演练 drill"},
    {"requirement", "年度要求 yearly requirement"},
    {"migration", "迁移 migration"},
    {"asset", "资产 asset"},
    {"dimension", "维度 dimension"},
    {"month", "月份 month"},
    {"pool", "资源池 pool"},
    {"resource", "资源 resource"},
    {"remainder", "其余 remainder (主机等非虚拟机 hosts, not vm resources)"},
    /* sides */
    {"met", "达标 met"},
    {"missed", "未达标 missed"},
    {"not_evaluable", "不可评 not evaluable"},
    {"late", "超时 late"},
    {"pending", "未到期 pending"},
    {"on_time", "按时 on time"},
    {"major_fault", "重大故障 major fault"},
    {"successful", "成功 successful"},
    {"not_successful", "未成功 not successful"},
    {"failed", "失败 failed"},
    {"not_planned", "未计划 not planned"},
    {"compliant", "达标 compliant"},
    {"not_compliant", "未达标 not compliant"},
    {"domestic", "国产 domestic"},
    {"not_domestic", "非国产 not domestic"},
    {"idle", "低效 idle"},
    {"not_idle", "非低效 not idle"},
    {"complaint", "投诉 complaint"},
    {"answered", "已答 answered"},
    {"above", "高于均值 above the mean"},
    {"below", "低于均值 below the mean"},
    {"at", "等于均值 at the mean"},
    {"low_cpu", "低CPU low CPU"},
    {"not_low_cpu", "非低CPU not low CPU"},
    {"counted", "计入 counted"},
    {"shadowed", "被覆盖 shadowed"},
    {"not_counted", "不计入 not counted"},
    {"excluded", "已扣除 excluded"},
    {"not_excluded", "未扣除 not excluded"},
    /* fields */
    {"availability", "可用率 availability"},
    {"target", "目标 target"},
    {"weight", "权重 weight"},
    {"calendar", "服务时间 calendar"},
    {"agreed_s", "约定时间 agreed s"},
    {"maintenance_s", "维护扣除 maintenance s"},
    {"counted_s", "计入时间 counted s"},
    {"downtime_s", "停机 down s"},
    {"probe_down_minutes", "拨测失败分钟 probe-down minutes"},
    {"probe_coverage", "拨测覆盖 probe coverage"},
    {"start", "开始 start"},
    {"due", "截止 due"},
    {"closed", "关闭 closed"},
    {"deadline_s", "时限 deadline s"},
    {"elapsed_s", "用时 elapsed s"},
    {"overrun_s", "超出 overrun s"},
    {"severity", "级别 severity"},
    {"level", "等级 level"},
    {"done", "完成 done"},
    {"planned_end", "计划完成 planned end"},
    {"reason", "原因 reason"},
    {"class", "类别 class"},
    {"category", "类别 category"},
    {"since", "自 since"},
    {"answers", "答卷 answers"},
    {"score", "得分 score"},
    {"lambda", "权重 λ"},
    {"effect", "影响 effect"},
    {"weight_share", "时间权重占比 weight share"},
    {"mean", "均值 mean"},
    {"pull", "拉动 pull"},
    {"low_cpu_share", "CPU低于空闲阈值时间占比 time under idle_cpu_below"},
    {"idle_cpu_below", "空闲CPU阈值 idle_cpu_below"},
    {"mem_mean", "内存均值 mem mean"},
    {"successful_backups", "成功备份 successful backups"},
    {"rpo_target_s", "RPO目标 RPO target s"},
    {"largest_gap_s", "最大间隔 largest gap s"},
    {"largest_gap_from", "间隔起点 gap from"},
    {"provider", "服务商 provider"},
    {"events", "事件 events"},
    {"satisfied", "满意 satisfied"},
    {"traced", "可追溯 traced"},
    {"backups", "备份 backups"},
    {"ok", "成功 ok"},
    {"missing", "缺少 missing"},
    {"cause", "原因方 cause"},
    {"impact", "影响 impact"},
    {"scope", "范围 scope"},
    {"seconds", "秒 seconds"},
    {"down_s", "停机 down s"},
    {"from", "自 from"},
    {"to", "至 to"},
    /* counts */
    {"planned", "计划 planned"},
    {"required", "要求 required"},
    {"planned_and_successful", "计划且成功 planned and successful"},
    {"planned_not_successful", "计划未成功 planned, not successful"},
    {"unplanned_successful", "计划外成功 successful, not planned"},
    {"complaints", "投诉 complaints"},
    {"tickets_without_complaint", "无投诉工单 tickets without complaint"},
    {"unknown_answers", "未配置维度的答案 answers on a dimension not configured"},
    {"level_1", "1级 level 1"},
    {"level_2", "2级 level 2"},
    {"level_3", "3级 level 3"},
    {"level_4", "4级 level 4"},
    {"level_5", "5级 level 5"},
    {"max", "最大 max"},
    {"share", "占比 share"},
};

static const char *label(const char *key)
{
    for (size_t i = 0; i < sizeof labels / sizeof *labels; i++)
        if (!strcmp(labels[i].key, key))
            return labels[i].text;
    return key;
}

static const char *str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static void print_value(FILE *f, json_t *v)
{
    if (json_is_integer(v))
        fprintf(f, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        fprintf(f, "%.10g", json_real_value(v));
    else if (json_is_string(v))
        fputs(label(json_string_value(v)), f);
    else if (json_is_boolean(v))
        fputs(json_is_true(v) ? "true" : "false", f);
    else if (json_is_null(v))
        fputs("n/a", f);
}

/* "kind id [side]" then every scalar field but the ones named already. */
static void print_item(FILE *f, json_t *it, const char *indent, size_t n)
{
    fprintf(f, "%s%zu. %s", indent, n, label(str(it, "kind")));
    if (*str(it, "id"))
        fprintf(f, " %s", str(it, "id"));
    if (*str(it, "side"))
        fprintf(f, " [%s]", label(str(it, "side")));
    const char *key;
    json_t *v;
    json_object_foreach(it, key, v)
    {
        if (!strcmp(key, "kind") || !strcmp(key, "id") || !strcmp(key, "side") || !strcmp(key, "against") ||
            json_is_array(v) || json_is_object(v))
            continue;
        fprintf(f, "  %s ", label(key));
        print_value(f, v);
    }
    fputc('\n', f);
}

static void print_list(FILE *f, json_t *arr, const char *title, const char *indent, size_t max)
{
    size_t n = json_array_size(arr);
    if (!n)
        return;
    fprintf(f, "%s%s:\n", indent, title);
    char sub[32];
    snprintf(sub, sizeof sub, "%s  ", indent);
    for (size_t i = 0; i < n && i < max; i++)
        print_item(f, json_array_get(arr, i), sub, i + 1);
    if (n > max)
        fprintf(f, "%s… 另有 %zu 项 and %zu more (--json lists them all)\n", sub, n - max, n - max);
}

/* The band (0..9) holding a percentile value (a bucket: a multiple of 0.01). */
static long band_of(json_t *v)
{
    long b = lround(100 * json_number_value(v)) / 10;
    return b > 9 ? 9 : b;
}

/* Each 10-point band's share of the time weight, a bar, and where p50 and p95 fall. */
static void print_distribution(FILE *f, json_t *d)
{
    json_t *bands = json_object_get(d, "bands");
    fprintf(f, "分布 Distribution (按时间权重 by time weight, %lld s):  p50 ",
            (long long)json_integer_value(json_object_get(d, "weight_s")));
    print_value(f, json_object_get(d, "p50"));
    fputs("  p95 ", f);
    print_value(f, json_object_get(d, "p95"));
    fputs("  最大 max ", f);
    print_value(f, json_object_get(d, "max"));
    fputs("\n  区段 band   占比 share  累计 cumulative\n", f);
    long p50 = band_of(json_object_get(d, "p50")), p95 = band_of(json_object_get(d, "p95"));
    for (size_t i = 0; i < json_array_size(bands); i++) {
        json_t *b = json_array_get(bands, i);
        double share = json_number_value(json_object_get(b, "share"));
        long from = lround(100 * json_number_value(json_object_get(b, "from"))),
             to = lround(100 * json_number_value(json_object_get(b, "to")));
        fprintf(f, "  %2ld–%ld %%%s  %6.2f %%  %6.2f %%", from, to, to < 100 ? " " : "", 100 * share,
                100 * json_number_value(json_object_get(b, "cum_share")));
        long bar = lround(40 * share);
        if (bar)
            fputs("  ", f);
        for (; bar > 0; bar--)
            fputc('#', f);
        fprintf(f, "%s%s\n", (long)i == p50 ? "  ← p50" : "", (long)i == p95 ? "  ← p95" : "");
    }
}

static void print_evidence(FILE *f, json_t *ev)
{
    json_t *items = json_object_get(ev, "items"), *sum = json_object_get(ev, "summary");
    if (json_is_null(json_object_get(ev, "leaf"))) {
        fputs("证据 Evidence: 此指标无明细 none recorded for this figure\n", f);
        return;
    }
    if (json_object_size(sum)) {
        fputs("计数 Counts:", f);
        const char *key;
        json_t *v;
        json_object_foreach(sum, key, v)
        {
            fprintf(f, "  %s ", label(key));
            print_value(f, v);
        }
        fputc('\n', f);
    }
    if (json_is_object(json_object_get(ev, "distribution")))
        print_distribution(f, json_object_get(ev, "distribution"));
    size_t n = json_array_size(items);
    fprintf(f, "证据 Evidence (影响最大者在前 largest effect first): %zu 项 items\n", n);
    for (size_t i = 0; i < n && i < MAX_ITEMS; i++) {
        json_t *it = json_array_get(items, i);
        print_item(f, it, "  ", i + 1);
        print_list(f, json_object_get(it, "intervals"), "区间 down intervals", "      ", MAX_NESTED);
        print_list(f, json_object_get(it, "incidents"), "故障 incidents", "      ", MAX_NESTED);
        print_list(f, json_object_get(it, "maintenance"), "维护 maintenance windows", "      ", MAX_NESTED);
    }
    if (n > MAX_ITEMS)
        fprintf(f, "  … 另有 %zu 项 and %zu more (--json lists them all)\n", n - MAX_ITEMS, n - MAX_ITEMS);
}

static void print_points(FILE *f, json_t *v)
{
    if (json_is_number(v))
        fprintf(f, "%.2f", json_number_value(v));
    else
        fputs("n/a", f);
}

static void print_node(FILE *f, json_t *r)
{
    json_t *kids = json_object_get(r, "children");
    fputs("子项 Children:  权重 weight  占比 share  得分 points  贡献 contribution\n", f);
    double sum_share = 0, sum_contrib = 0;
    for (size_t i = 0; i < json_array_size(kids); i++) {
        json_t *k = json_array_get(kids, i), *c = json_object_get(k, "contribution");
        fprintf(f, "  %8g  %7.2f %%  ", json_number_value(json_object_get(k, "weight")),
                100 * json_number_value(json_object_get(k, "share")));
        print_points(f, json_object_get(k, "points"));
        if (json_is_number(c)) {
            fprintf(f, "  %9.4f", json_number_value(c));
            sum_share += json_number_value(json_object_get(k, "share"));
            sum_contrib += json_number_value(c);
        } else {
            fputs("  不可评 not evaluable", f);
        }
        fprintf(f, "  %s %s %s\n", str(k, "id"), str(k, "name"), str(k, "en"));
    }
    fprintf(f, "  合计 Sum  %7.2f %%  %.4f\n", 100 * sum_share, sum_contrib);
    json_t *ne = json_object_get(r, "not_evaluable");
    if (json_array_size(ne))
        fprintf(f,
                "重新归一 Re-normalised: 可评权重 evaluable weight %g / 总权重 total weight %g (不可评 not "
                "evaluable: %zu)\n",
                json_number_value(json_object_get(r, "weight_evaluable")),
                json_number_value(json_object_get(r, "weight_total")), json_array_size(ne));
    json_t *raise = json_object_get(r, "raise");
    fputs("最能提分 What would raise the score most (占比 share × (100 − 得分 points)):\n", f);
    for (size_t i = 0; i < json_array_size(raise) && i < 5; i++) {
        json_t *g = json_array_get(raise, i);
        fprintf(
            f, "  %zu. %s %s %s   占比 share %.2f %%   得分 points %.2f   差距 gap %.4f\n", i + 1,
            str(g, "id"), str(g, "name"), str(g, "en"), 100 * json_number_value(json_object_get(g, "share")),
            json_number_value(json_object_get(g, "points")), json_number_value(json_object_get(g, "gap")));
    }
}

static void print_leaf(FILE *f, json_t *r)
{
    json_t *seg = json_object_get(r, "segment"), *curve = json_object_get(r, "curve");
    fprintf(f, "指标值 Value (%s): ", str(r, "figure"));
    print_value(f, json_object_get(r, "value"));
    fputs("\n曲线 Curve:", f);
    for (size_t i = 0; i < json_array_size(curve); i++) {
        json_t *p = json_array_get(curve, i);
        fprintf(f, " [%g, %g]", json_number_value(json_array_get(p, 0)),
                json_number_value(json_array_get(p, 1)));
    }
    fputc('\n', f);
    if (json_is_object(seg)) {
        json_t *a = json_object_get(seg, "from"), *b = json_object_get(seg, "to");
        fprintf(f, "落在 Falls between [%g, %g] 与 and [%g, %g]\n", json_number_value(json_array_get(a, 0)),
                json_number_value(json_array_get(a, 1)), json_number_value(json_array_get(b, 0)),
                json_number_value(json_array_get(b, 1)));
    }
    print_evidence(f, json_object_get(r, "evidence"));
}

void cqe_explain_print(void *record, FILE *f)
{
    json_t *r = record, *node = json_object_get(r, "node"), *veto = json_object_get(r, "veto");
    fprintf(f, "== 解释 Explain  %s  %s  (截至 as of %s%s)\n", str(r, "target"), str(r, "period"),
            str(r, "as_of"),
            json_is_true(json_object_get(r, "complete")) ? ", 完整 complete" : ", 未完 incomplete");
    fputs("总分 Total score: ", f);
    print_points(f, json_object_get(r, "score"));
    fprintf(f, "   等级 Grade: %s (%s)",
            json_is_string(json_object_get(r, "grade")) ? str(r, "grade") : "n/a",
            json_is_string(json_object_get(r, "grade_en")) ? str(r, "grade_en") : "n/a");
    fputs("   否决 Veto: ", f);
    if (!json_array_size(veto))
        fputs("无 none", f);
    for (size_t i = 0; i < json_array_size(veto); i++)
        fprintf(f, "%s%s", i ? ", " : "", json_string_value(json_array_get(veto, i)));
    fputc('\n', f);
    json_t *path = json_object_get(node, "path");
    fputs("路径 Path:", f);
    for (size_t i = 0; i < json_array_size(path); i++)
        fprintf(f, "%s%s", i ? " › " : " ", json_string_value(json_array_get(path, i)));
    fprintf(f, "\n%s %s %s %s   得分 points ",
            json_is_true(json_object_get(node, "leaf")) ? "指标 Indicator" : "节点 Node", str(node, "id"),
            str(node, "name"), str(node, "en"));
    print_points(f, json_object_get(node, "points"));
    fprintf(f, "   权重 weight %g   占总分 share of total %.2f %%\n",
            json_number_value(json_object_get(node, "weight")),
            100 * json_number_value(json_object_get(node, "share_of_total")));
    if (json_is_true(json_object_get(node, "leaf")))
        print_leaf(f, r);
    else
        print_node(f, r);
}
