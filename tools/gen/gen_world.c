/* The synthetic province of `cloudqe gen`: providers, departments (委办局), services
 * with SLA tiers and calendars, VMs and hosts in pools, probe series, and the name
 * tables events draw from. Built once from the seed; the planner and the streams
 * read it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"
#include "timeutil.h"

/* ---- name tables -------------------------------------------------------------- */

static const char *const provider_ids[] = {
    "gz-telecom", "gz-unicom",  "gz-mobile",  "gz-huawei", "gz-inspur", "gz-digital",
    "gz-sugon",   "gz-alibaba", "gz-tencent", "gz-ctyun",  "gz-cmict",  "gz-h3c",
};

struct dept_name {
    const char *name;
    const char *code;
};

static const struct dept_name dept_names[] = {
    {"市公安局", "gaj"},
    {"市卫健委", "wjw"},
    {"市教育局", "jyj"},
    {"市人社局", "rsj"},
    {"市民政局", "mzj"},
    {"市财政局", "czj"},
    {"市规划和自然资源局", "ghzy"},
    {"市生态环境局", "sthj"},
    {"市住建局", "zjj"},
    {"市交通运输局", "jtj"},
    {"市水务局", "swuj"},
    {"市农业农村局", "nyj"},
    {"市商务局", "swj"},
    {"市文广旅局", "wglj"},
    {"市应急管理局", "yjj"},
    {"市市场监管局", "scjg"},
    {"市统计局", "tjj"},
    {"市医保局", "ybj"},
    {"市政务服务数据管理局", "zsj"},
    {"市税务局", "shuiwu"},
    {"市城管局", "cgj"},
    {"市司法局", "sfj"},
    {"市发改委", "fgw"},
    {"市工信局", "gxj"},
    {"市科技局", "kjj"},
    {"市审计局", "shenji"},
    {"市林业和园林局", "lyj"},
    {"市退役军人事务局", "tyjr"},
    {"市体育局", "tiyu"},
    {"市信访局", "xfj"},
    {"市档案局", "daj"},
    {"市气象局", "qxj"},
    {"市港务局", "gwj"},
    {"市住房公积金管理中心", "gjj"},
    {"市政府办公厅", "zfb"},
    {"市中级人民法院", "zy"},
    {"市人民检察院", "jcy"},
    {"市消防救援支队", "xfzd"},
    {"市残联", "cl"},
    {"市地方金融监管局", "jrj"},
};
#define N_DEPT_NAMES (sizeof dept_names / sizeof dept_names[0])

static const struct dept_name districts[] = {
    {"越秀区", "yx"}, {"海珠区", "hz"}, {"荔湾区", "lw"}, {"天河区", "th"},
    {"白云区", "by"}, {"黄埔区", "hp"}, {"番禺区", "py"}, {"花都区", "hd"},
    {"南沙区", "ns"}, {"从化区", "ch"}, {"增城区", "zc"},
};
#define N_DISTRICTS (sizeof districts / sizeof districts[0])

static const char *const apps[] = {
    "portal", "approval", "oa",        "db",        "gis",    "hotline", "share",
    "video",  "bigdata",  "archive",   "pay",       "app",    "apigw",   "mail",
    "credit", "license",  "emergency", "supervise", "screen", "iot",
};
#define N_APPS (sizeof apps / sizeof apps[0])

const char *const cqe_gen_sites[] = {"gz-tianhe", "gz-panyu",    "sz-futian",
                                     "fs-nanhai", "dg-songshan", "zh-hengqin"};
const size_t cqe_gen_n_sites = sizeof cqe_gen_sites / sizeof cqe_gen_sites[0];

const char *const cqe_gen_zones[] = {"政务外网", "互联网", "视频专网"};

const char *const cqe_gen_actors[] = {
    "zhangwei", "wangfang", "lina",      "liuyang", "chenjie", "yangmin", "huanglei",
    "zhaojing", "wuhao",    "zhouqiang", "xuli",    "sunpeng", "majun",   "zhuting",
    "hulin",    "guoxin",   "linfeng",   "hexue",   "gaoyuan", "luoqing",
};
const size_t cqe_gen_n_actors = sizeof cqe_gen_actors / sizeof cqe_gen_actors[0];

const char *const cqe_gen_categories[] = {"hardware", "network", "software", "storage",
                                          "config",   "power",   "database", "security"};
const size_t cqe_gen_n_categories = sizeof cqe_gen_categories / sizeof cqe_gen_categories[0];

const char *const cqe_gen_vendors[4][2][6] = {
    /* server */ {{"Dell", "HPE", "IBM", "Cisco", NULL},
                  {"华为", "浪潮", "中科曙光", "新华三", "长城", NULL}},
    /* os */
    {{"CentOS", "RHEL", "Windows Server", "SUSE", NULL},
     {"银河麒麟", "统信UOS", "openEuler", "中科方德", NULL}},
    /* database */
    {{"Oracle", "MySQL", "SQL Server", "PostgreSQL", NULL},
     {"达梦", "人大金仓", "GaussDB", "OceanBase", "TiDB", NULL}},
    /* middleware */
    {{"WebLogic", "WebSphere", "Tomcat", "JBoss", NULL}, {"东方通", "宝兰德", "金蝶Apusic", "中创", NULL}},
};

const char *const cqe_gen_archs[] = {"x86_64", "aarch64", "loongarch64"};
const size_t cqe_gen_n_archs = sizeof cqe_gen_archs / sizeof cqe_gen_archs[0];

const char *const cqe_gen_dims[5] = {"服务态度", "响应及时性", "问题解决", "服务能力", "信息安全"};
const char *const cqe_gen_extra_dims[] = {"性价比", "总体满意度"};
const size_t cqe_gen_n_extra_dims = sizeof cqe_gen_extra_dims / sizeof cqe_gen_extra_dims[0];

/* ---- helpers ---------------------------------------------------------------- */

static double clampd(double x, double lo, double hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

static double unif_in(struct cqe_gen_rng *r, double lo, double hi)
{
    return lo + (hi - lo) * cqe_gen_unif(r);
}

static void build_providers(struct cqe_gen_world *w, struct cqe_gen_rng *r)
{
    static const char *const pool_suffix[CQE_GEN_POOLS] = {"general", "db", "bigdata", "xc"};
    for (size_t i = 0; i < w->n_provs; i++) {
        struct cqe_gen_provider *p = &w->provs[i];
        if (i < sizeof provider_ids / sizeof provider_ids[0])
            snprintf(p->id, sizeof p->id, "%s", provider_ids[i]);
        else
            snprintf(p->id, sizeof p->id, "gz-provider-%02u", (unsigned)(i + 1) % 100u);
        p->quality = clampd(cqe_gen_lognormal(r, 1.0, 0.35), 0.4, 2.5);
        for (int c = 0; c < 4; c++)
            p->domestic[c] = unif_in(r, 0.3, 0.6);
        p->traced = unif_in(r, 0.95, 0.999);
        char id[sizeof p->id];
        memcpy(id, p->id, sizeof id);
        for (int k = 0; k < CQE_GEN_POOLS; k++)
            snprintf(p->pools[k], sizeof p->pools[k], "%s-%s", id, pool_suffix[k]);
    }
}

static void build_depts(struct cqe_gen_world *w, struct cqe_gen_rng *r)
{
    const char *city = "市";
    size_t city_n = strlen(city);
    for (size_t i = 0; i < w->n_depts; i++) {
        struct cqe_gen_dept *d = &w->depts[i];
        size_t base = i % N_DEPT_NAMES, round = i / N_DEPT_NAMES;
        if (round == 0) {
            snprintf(d->name, sizeof d->name, "%s", dept_names[base].name);
            snprintf(d->code, sizeof d->code, "%s", dept_names[base].code);
        } else if (round <= N_DISTRICTS) {
            const struct dept_name *dist = &districts[round - 1];
            const char *bare = dept_names[base].name;
            if (!strncmp(bare, city, city_n))
                bare += city_n;
            snprintf(d->name, sizeof d->name, "%s%s", dist->name, bare);
            snprintf(d->code, sizeof d->code, "%s-%s", dist->code, dept_names[base].code);
        } else {
            snprintf(d->name, sizeof d->name, "市直单位%03zu", i + 1);
            snprintf(d->code, sizeof d->code, "u%03zu", i + 1);
        }
        d->survey_mean = clampd(4.2 + 0.35 * cqe_gen_normal(r), 3.0, 4.85);
        d->survey_mday = (int)cqe_gen_range(r, 1, 28);
    }
}

/* Services per department: one each first, the rest by a Zipf-like weight, so big
 * bureaus (公安, 卫健) run many systems and small ones a few. */
static void share_services(struct cqe_gen_world *w, struct cqe_gen_rng *r, int32_t *count)
{
    size_t nd = w->n_depts, ns = w->n_svcs;
    for (size_t i = 0; i < nd; i++)
        count[i] = i < ns ? 1 : 0;
    if (ns <= nd)
        return;
    double *wt = malloc(nd * sizeof *wt);
    if (!wt) { /* fall back to round robin */
        for (size_t k = nd; k < ns; k++)
            count[k % nd]++;
        return;
    }
    for (size_t i = 0; i < nd; i++)
        wt[i] = 1.0 / pow((double)(i % N_DEPT_NAMES) + 1.0, 0.7) / (1.0 + (double)(i / N_DEPT_NAMES));
    double total = 0;
    for (size_t i = 0; i < nd; i++)
        total += wt[i];
    /* deterministic largest-remainder shares, then random for the leftovers */
    size_t left = ns - nd;
    size_t given = 0;
    for (size_t i = 0; i < nd; i++) {
        size_t q = (size_t)floor((double)left * wt[i] / total);
        count[i] += (int32_t)q;
        given += q;
    }
    for (; given < left; given++)
        count[cqe_gen_pick(r, wt, (int)nd)]++;
    free(wt);
}

static void build_services(struct cqe_gen_world *w, struct cqe_gen_rng *r, const int32_t *count)
{
    static const double tier_w[4] = {0.15, 0.30, 0.40, 0.15};
    static const double tiers[4] = {0.99, 0.995, 0.999, 0.9995};
    static const double zone_w[3] = {0.72, 0.23, 0.05};
    size_t s = 0;
    for (size_t d = 0; d < w->n_depts; d++) {
        struct cqe_gen_dept *dp = &w->depts[d];
        dp->first_svc = (int32_t)s;
        dp->n_svc = count[d];
        int32_t main_prov = (int32_t)cqe_gen_range(r, 0, (int64_t)w->n_provs - 1);
        int perm[N_APPS];
        for (size_t k = 0; k < N_APPS; k++)
            perm[k] = (int)k;
        for (size_t k = N_APPS - 1; k > 0; k--) {
            size_t j = (size_t)cqe_gen_range(r, 0, (int64_t)k);
            int t = perm[k];
            perm[k] = perm[j];
            perm[j] = t;
        }
        for (int32_t k = 0; k < count[d]; k++, s++) {
            struct cqe_gen_service *sv = &w->svcs[s];
            const char *app = apps[perm[(size_t)k % N_APPS]];
            if ((size_t)k < N_APPS)
                snprintf(sv->id, sizeof sv->id, "svc-%s-%s", dp->code, app);
            else
                snprintf(sv->id, sizeof sv->id, "svc-%s-%s-%zu", dp->code, app, (size_t)k / N_APPS + 1);
            sv->dept = (int32_t)d;
            sv->prov =
                cqe_gen_chance(r, 0.6) ? main_prov : (int32_t)cqe_gen_range(r, 0, (int64_t)w->n_provs - 1);
            int tier = cqe_gen_pick(r, tier_w, 4);
            sv->target = tiers[tier];
            sv->cal_5x8 = (uint8_t)cqe_gen_chance(r, 0.15);
            double u = cqe_gen_unif(r);
            sv->weight = u < 0.75 ? 1 : u < 0.93 ? 2 : 3;
            sv->zone = (uint8_t)cqe_gen_pick(r, zone_w, 3);
            sv->in_catalog = (uint8_t)!cqe_gen_chance(r, 0.04);
            sv->inc_rate = cqe_gen_lognormal(r, 0.03, 0.7) * w->provs[sv->prov].quality;
            sv->probed = (uint8_t)cqe_gen_chance(r, w->opts.probe_share);
            sv->n_sites = (uint8_t)cqe_gen_range(r, 2, 3);
            for (int k2 = 0; k2 < sv->n_sites; k2++) {
                uint8_t site;
                int clash;
                do {
                    site = (uint8_t)cqe_gen_range(r, 0, (int64_t)cqe_gen_n_sites - 1);
                    clash = 0;
                    for (int j = 0; j < k2; j++)
                        clash |= sv->sites[j] == site;
                } while (clash);
                sv->sites[k2] = site;
            }
            sv->latency_ms = (int32_t)clampd(cqe_gen_lognormal(r, sv->zone == 1 ? 120 : 45, 0.5), 5, 2000);
            if (cqe_gen_chance(r, 0.92)) {
                /* targets leave slack for the minutes a run drifts: a daily job meets
                 * a 25 h RPO unless a run fails or is missed */
                sv->backups_per_day = tier == 3 ? 6 : 1;
                sv->rpo_target_s = tier == 3 ? 18000 : 90000;
            }
            sv->backup_hour_min = (int32_t)cqe_gen_range(r, 60, 240);
            u = cqe_gen_unif(r);
            sv->backup_fail = u < 0.85 ? 0.01 : u < 0.97 ? 0.04 : 0.15;
        }
    }
    /* a catalog with a few gaps, and always something probed */
    if (w->n_svcs >= 10) {
        size_t out = 0;
        for (size_t i = 0; i < w->n_svcs; i++)
            out += !w->svcs[i].in_catalog;
        if (!out)
            w->svcs[w->n_svcs / 2].in_catalog = 0;
    }
    size_t probed = 0;
    for (size_t i = 0; i < w->n_svcs; i++)
        probed += w->svcs[i].probed;
    if (!probed && w->n_svcs && w->opts.probe_share > 0)
        w->svcs[0].probed = 1;
}

static int group_by_provider(struct cqe_gen_world *w)
{
    w->prov_svcs = malloc((w->n_svcs ? w->n_svcs : 1) * sizeof *w->prov_svcs);
    if (!w->prov_svcs)
        return CQE_ENOMEM;
    size_t at = 0;
    for (size_t p = 0; p < w->n_provs; p++) {
        w->provs[p].first_svc_ix = (int32_t)at;
        for (size_t s = 0; s < w->n_svcs; s++)
            if (w->svcs[s].prov == (int32_t)p)
                w->prov_svcs[at++] = (int32_t)s;
        w->provs[p].n_svc = (int32_t)at - w->provs[p].first_svc_ix;
    }
    return 0;
}

static void build_vm(struct cqe_gen_world *w, struct cqe_gen_rng *r, struct cqe_gen_resource *v, size_t i)
{
    static const double pool_w[CQE_GEN_POOLS] = {0.55, 0.15, 0.10, 0.20};
    int64_t span = w->end_ms - w->start_ms;
    snprintf(v->id, sizeof v->id, "vm-%05zu", i + 1);
    v->svc = w->n_svcs ? (int32_t)cqe_gen_range(r, 0, (int64_t)w->n_svcs - 1) : -1;
    v->prov = v->svc >= 0 ? w->svcs[v->svc].prov : (int32_t)(i % w->n_provs);
    v->dept = v->svc >= 0 ? w->svcs[v->svc].dept : -1;
    v->pool = (uint8_t)cqe_gen_pick(r, pool_w, CQE_GEN_POOLS);
    v->idle = (uint8_t)cqe_gen_chance(r, 0.12);
    double u = cqe_gen_unif(r);
    v->fields = u < 0.80   ? 15
                : u < 0.92 ? (CQE_GEN_F_CPU | CQE_GEN_F_MEM)
                : u < 0.97 ? (CQE_GEN_F_CPU | CQE_GEN_F_MEM | CQE_GEN_F_DISK)
                           : CQE_GEN_F_CPU;
    if (v->idle) {
        v->cpu_base = (float)unif_in(r, 0.005, 0.05);
        v->cpu_amp = (float)unif_in(r, 0.0, 0.02);
        v->mem_base = (float)unif_in(r, 0.04, 0.16);
        v->mem_amp = 0.01f;
        v->net_base = (float)unif_in(r, 0.0, 0.01);
        v->net_amp = 0.005f;
    } else {
        v->cpu_base = (float)clampd(cqe_gen_lognormal(r, 0.15, 0.5), 0.03, 0.6);
        v->cpu_amp = (float)clampd(v->cpu_base * unif_in(r, 0.5, 1.6), 0.0, 0.92 - v->cpu_base);
        v->mem_base = (float)unif_in(r, 0.25, 0.72);
        v->mem_amp = (float)unif_in(r, 0.02, 0.12);
        v->net_base = (float)unif_in(r, 0.01, 0.08);
        v->net_amp = (float)unif_in(r, 0.02, 0.3);
    }
    v->disk_base = (float)unif_in(r, 0.15, 0.8);
    v->disk_per_day = (float)unif_in(r, 0.0, 0.003);
    v->from = w->start_ms;
    v->to = w->end_ms;
    if (cqe_gen_chance(r, 0.03)) /* created during the span */
        v->from = w->start_ms + (int64_t)(cqe_gen_unif(r) * (double)span);
    else if (cqe_gen_chance(r, 0.02)) /* released during the span */
        v->to = w->start_ms + (int64_t)(cqe_gen_unif(r) * (double)span);
}

static void build_host(struct cqe_gen_world *w, struct cqe_gen_rng *r, struct cqe_gen_resource *h, size_t i)
{
    static const double pool_w[CQE_GEN_POOLS] = {0.5, 0.2, 0.15, 0.15};
    h->prov = (int32_t)(i % w->n_provs);
    snprintf(h->id, sizeof h->id, "host-%s-%03zu", w->provs[h->prov].id, i / w->n_provs + 1);
    h->host = 1;
    h->svc = h->dept = -1;
    h->pool = (uint8_t)cqe_gen_pick(r, pool_w, CQE_GEN_POOLS);
    h->fields = 15;
    h->cpu_base = (float)unif_in(r, 0.2, 0.5);
    h->cpu_amp = (float)unif_in(r, 0.08, 0.25);
    h->mem_base = (float)unif_in(r, 0.45, 0.8);
    h->mem_amp = (float)unif_in(r, 0.02, 0.08);
    h->disk_base = (float)unif_in(r, 0.3, 0.7);
    h->disk_per_day = (float)unif_in(r, 0.0, 0.002);
    h->net_base = (float)unif_in(r, 0.05, 0.2);
    h->net_amp = (float)unif_in(r, 0.1, 0.3);
    h->from = w->start_ms;
    h->to = w->end_ms;
}

struct phase_ix {
    int32_t phase_ms, ix;
};

static int by_phase_ix(const void *a, const void *b)
{
    const struct phase_ix *x = a, *y = b;
    if (x->phase_ms != y->phase_ms)
        return x->phase_ms < y->phase_ms ? -1 : 1;
    return x->ix < y->ix ? -1 : x->ix > y->ix;
}

/* w->res_order = resource indexes by sample phase, so the metric stream runs in ts
 * order without sorting events. */
static int order_resources(struct cqe_gen_world *w)
{
    struct phase_ix *v = malloc((w->n_res ? w->n_res : 1) * sizeof *v);
    if (!v)
        return CQE_ENOMEM;
    for (size_t i = 0; i < w->n_res; i++)
        v[i] = (struct phase_ix){w->res[i].phase_ms, (int32_t)i};
    qsort(v, w->n_res, sizeof *v, by_phase_ix);
    for (size_t i = 0; i < w->n_res; i++)
        w->res_order[i] = v[i].ix;
    free(v);
    return 0;
}

static int by_probe_phase(const void *a, const void *b)
{
    const struct cqe_gen_probe *x = a, *y = b;
    if (x->phase_ms != y->phase_ms)
        return x->phase_ms < y->phase_ms ? -1 : 1;
    if (x->svc != y->svc)
        return x->svc < y->svc ? -1 : 1;
    return x->site < y->site ? -1 : x->site > y->site;
}

/* Daily load: morning and afternoon peaks with a lunch dip, a small evening bump;
 * weekends run at a third. */
static void build_diurnal(struct cqe_gen_world *w)
{
    float mx = 0;
    for (int m = 0; m < 1440; m++) {
        double h = m / 60.0;
        double v = exp(-(h - 10.3) * (h - 10.3) / (2 * 1.5 * 1.5)) +
                   0.9 * exp(-(h - 15.5) * (h - 15.5) / (2 * 1.7 * 1.7)) +
                   0.25 * exp(-(h - 20.5) * (h - 20.5) / (2 * 1.4 * 1.4));
        w->diurnal[0][m] = (float)v;
        if ((float)v > mx)
            mx = (float)v;
    }
    for (int m = 0; m < 1440; m++) {
        w->diurnal[0][m] /= mx;
        w->diurnal[1][m] = 0.05f + 0.3f * w->diurnal[0][m];
    }
}

int cqe_gen_world_build(struct cqe_gen_world *w, const struct cqe_gen_opts *opts, struct cqe_gen_rng *r,
                        struct cqe_err *err)
{
    int rc = 0;
    int32_t *count = NULL;
    memset(w, 0, sizeof *w);
    w->opts = *opts;
    w->start_ms = cqe_local_midnight(opts->start_day, CQE_GEN_OFFSET_MIN);
    w->end_ms = cqe_local_midnight(opts->start_day + opts->days, CQE_GEN_OFFSET_MIN);
    w->n_provs = (size_t)opts->providers;
    w->n_depts = (size_t)opts->depts;
    w->n_svcs = (size_t)opts->services;
    w->n_res = (size_t)(opts->vms + opts->hosts);
    w->provs = calloc(w->n_provs, sizeof *w->provs);
    w->depts = calloc(w->n_depts, sizeof *w->depts);
    w->svcs = calloc(w->n_svcs ? w->n_svcs : 1, sizeof *w->svcs);
    w->res = calloc(w->n_res ? w->n_res : 1, sizeof *w->res);
    w->res_order = calloc(w->n_res ? w->n_res : 1, sizeof *w->res_order);
    count = calloc(w->n_depts, sizeof *count);
    if (!w->provs || !w->depts || !w->svcs || !w->res || !w->res_order || !count) {
        rc = cqe_err_set(err, CQE_ENOMEM, "gen: out of memory building the province");
        goto out;
    }
    build_providers(w, r);
    build_depts(w, r);
    share_services(w, r, count);
    build_services(w, r, count);
    if (group_by_provider(w)) {
        rc = cqe_err_set(err, CQE_ENOMEM, "gen: out of memory building the province");
        goto out;
    }
    int64_t iv_ms = opts->metric_interval_s * 1000;
    for (size_t i = 0; i < w->n_res; i++) {
        struct cqe_gen_resource *x = &w->res[i];
        if (i < (size_t)opts->vms)
            build_vm(w, r, x, i);
        else
            build_host(w, r, x, i - (size_t)opts->vms);
        x->phase_ms = (int32_t)(cqe_gen_range(r, 0, opts->metric_interval_s - 1) * 1000);
        if (x->phase_ms >= iv_ms)
            x->phase_ms = 0;
    }
    if (order_resources(w)) {
        rc = cqe_err_set(err, CQE_ENOMEM, "gen: out of memory ordering the resources");
        goto out;
    }

    for (size_t s = 0; s < w->n_svcs; s++)
        if (w->svcs[s].probed)
            w->n_probes += w->svcs[s].n_sites;
    w->probes = calloc(w->n_probes ? w->n_probes : 1, sizeof *w->probes);
    if (!w->probes) {
        rc = cqe_err_set(err, CQE_ENOMEM, "gen: out of memory building the probes");
        goto out;
    }
    size_t k = 0;
    for (size_t s = 0; s < w->n_svcs; s++) {
        if (!w->svcs[s].probed)
            continue;
        for (int j = 0; j < w->svcs[s].n_sites; j++, k++) {
            w->probes[k].svc = (int32_t)s;
            w->probes[k].site = w->svcs[s].sites[j];
            w->probes[k].phase_ms = (int32_t)(cqe_gen_range(r, 0, opts->probe_interval_s - 1) * 1000);
        }
    }
    qsort(w->probes, w->n_probes, sizeof *w->probes, by_probe_phase);
    build_diurnal(w);
    int64_t first_days = opts->days < 14 ? opts->days : 14;
    for (size_t p = 0; p < w->n_provs && p < 64; p++)
        for (int kind = 0; kind < 2; kind++)
            w->first_drill_day[p][kind] = cqe_gen_range(r, 0, first_days - 1);
    w->next_incident = w->next_window = w->next_ticket = w->next_job = w->next_drill = 1;
    w->next_vuln = w->next_migration = w->next_op = w->next_response = w->next_asset = 1;
    w->next_change = 1;
out:
    free(count);
    if (rc)
        cqe_gen_world_free(w);
    return rc;
}

void cqe_gen_world_free(struct cqe_gen_world *w)
{
    if (w->svcs)
        for (size_t s = 0; s < w->n_svcs; s++)
            free(w->svcs[s].down);
    free(w->provs);
    free(w->depts);
    free(w->svcs);
    free(w->prov_svcs);
    free(w->res);
    free(w->res_order);
    free(w->probes);
    free(w->assets);
    memset(w, 0, sizeof *w);
}

int cqe_gen_world_add_down(struct cqe_gen_world *w, int32_t s, int64_t from, int64_t to, double fail_p,
                           double lat_mult, struct cqe_err *err)
{
    struct cqe_gen_service *sv = &w->svcs[s];
    if (!sv->probed || to <= from)
        return 0;
    if (sv->n_down == sv->cap_down) {
        size_t cap = sv->cap_down ? sv->cap_down * 2 : 8;
        struct cqe_gen_down *p = realloc(sv->down, cap * sizeof *p);
        if (!p)
            return cqe_err_set(err, CQE_ENOMEM, "gen: out of memory recording an outage");
        sv->down = p;
        sv->cap_down = cap;
    }
    sv->down[sv->n_down++] = (struct cqe_gen_down){from, to, (float)fail_p, (float)lat_mult};
    return 0;
}

int cqe_gen_world_add_asset(struct cqe_gen_world *w, const struct cqe_gen_asset *a, size_t *out_ix,
                            struct cqe_err *err)
{
    if (w->n_assets == w->cap_assets) {
        size_t cap = w->cap_assets ? w->cap_assets * 2 : 256;
        struct cqe_gen_asset *p = realloc(w->assets, cap * sizeof *p);
        if (!p)
            return cqe_err_set(err, CQE_ENOMEM, "gen: out of memory recording an asset");
        w->assets = p;
        w->cap_assets = cap;
    }
    w->assets[w->n_assets] = *a;
    if (out_ix)
        *out_ix = w->n_assets;
    w->n_assets++;
    return 0;
}
