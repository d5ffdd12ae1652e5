/* Builds the snapshot, service and department records (see records.h). */
#include "records.h"

#include <jansson.h>
#include <string.h>

#include "json_out.h"
#include "json_fields.h"

static void add_indicators(json_t *ind, json_t *ne, const struct cqe_score *sc)
{
    for (size_t i = 1; i < sc->n; i++) { /* 0 is the root */
        const struct cqe_node_score *ns = &sc->nodes[i];
        json_t *o = json_object();
        json_object_set_new(o, "score", ns->evaluable ? json_real(ns->score) : json_null());
        json_object_set_new(o, "weight", json_real(ns->node->weight));
        json_object_set_new(o, "evaluable", json_boolean(ns->evaluable));
        if (ns->is_leaf) {
            json_object_set_new(o, "value", cqe_json_opt(ns->value));
            if (!ns->evaluable)
                json_array_append_new(ne, json_string(ns->node->id));
        }
        json_object_set_new(ind, ns->node->id, o);
    }
}

static void add_figures(json_t *fig, const struct cqe_target_figures *f)
{
    json_object_set_new(fig, "services", json_integer(f->services));
    json_object_set_new(fig, "availability", cqe_json_opt(f->availability));
    json_object_set_new(fig, "agreed_s", json_real(f->agreed_s));
    json_object_set_new(fig, "maintenance_s", json_real(f->maintenance_s));
    json_object_set_new(fig, "downtime_s", json_real(f->downtime_s));
    json_object_set_new(fig, "incidents", json_integer(f->incidents));
    json_object_set_new(fig, "mttr_s", cqe_json_opt(f->mttr_s));
    json_object_set_new(fig, "probe_coverage", cqe_json_opt(f->probe_coverage));
    json_object_set_new(fig, "maintenance_late_notice", json_integer(f->maintenance_late_notice));
    json_object_set_new(fig, "incident_orphans", json_integer(f->incident_orphans));
    json_object_set_new(fig, "survey_responses", json_integer(f->survey_responses));
    json_object_set_new(fig, "survey_unknown_answers", json_integer(f->survey_unknown_answers));
    for (int m = 0; m < CQE_M__COUNT; m++) {
        char k[32];
        snprintf(k, sizeof k, "%s_mean", cqe_metric_names[m]);
        json_object_set_new(fig, k, cqe_json_opt(f->m_mean[m]));
        snprintf(k, sizeof k, "%s_p50", cqe_metric_names[m]);
        json_object_set_new(fig, k, cqe_json_opt(f->m_p50[m]));
        snprintf(k, sizeof k, "%s_p95", cqe_metric_names[m]);
        json_object_set_new(fig, k, cqe_json_opt(f->m_p95[m]));
        snprintf(k, sizeof k, "%s_max", cqe_metric_names[m]);
        json_object_set_new(fig, k, cqe_json_opt(f->m_max[m]));
    }
    for (int l = 0; l < CQE_LEAF__COUNT; l++) {
        struct cqe_opt v = f->leaf[l];
        if (l == CQE_LEAF_A1_2 && v.has)
            json_object_set_new(fig, cqe_leaf_name(l), json_integer((json_int_t)v.v));
        else
            json_object_set_new(fig, cqe_leaf_name(l), cqe_json_opt(v));
    }
}

void *cqe_record_snapshot(const struct cqe_period_eval *pe, const struct cqe_model *m,
                          const struct cqe_target_figures *f, const struct cqe_score *sc, int64_t revision,
                          const struct cqe_counters *c)
{
    const struct cqe_view *v = pe->view;
    int off = v->cfg->utc_offset_min;
    json_t *o = json_object();
    json_object_set_new(o, "kind", json_string("snapshot"));
    json_object_set_new(o, "v", json_integer(1));
    json_object_set_new(o, "target",
                        json_string(f->target == CQE_NONE ? "platform" : v->providers.keys[f->target]));
    json_object_set_new(o, "period", json_string(pe->period.id));
    json_object_set_new(o, "period_kind", json_string(cqe_period_kind_name(pe->period.kind)));
    cqe_json_set_time(o, "start", pe->period.start_ms, off);
    cqe_json_set_time(o, "end", pe->period.end_ms, off);
    cqe_json_set_time(o, "as_of", pe->as_of, off);
    json_object_set_new(o, "complete", json_boolean(pe->as_of >= pe->period.end_ms));
    json_object_set_new(o, "revision", json_integer(revision));
    json_object_set_new(o, "score", sc->has_score ? json_real(sc->score) : json_null());
    json_object_set_new(o, "grade", sc->grade ? json_string(sc->grade->name) : json_null());
    json_object_set_new(o, "grade_en", sc->grade ? json_string(sc->grade->en) : json_null());
    json_t *veto = json_array();
    for (size_t i = 0; i < f->n_veto; i++) {
        bool sec = !strncmp(f->veto[i], "security_sev1:", 14);
        if ((sec && m->veto_security_sev1) || (!sec && m->veto_data_loss))
            json_array_append_new(veto, json_string(f->veto[i]));
    }
    json_object_set_new(o, "veto", veto);
    json_t *ind = json_object(), *ne = json_array(), *fig = json_object();
    add_indicators(ind, ne, sc);
    add_figures(fig, f);
    json_object_set_new(o, "indicators", ind);
    json_object_set_new(o, "not_evaluable", ne);
    json_object_set_new(o, "figures", fig);
    json_t *cnt = json_object();
    json_object_set_new(cnt, "events", json_integer(c->events));
    json_object_set_new(cnt, "dead_letters", json_integer(c->dead_letters));
    json_object_set_new(cnt, "duplicates", json_integer(c->duplicates));
    json_object_set_new(cnt, "late", json_integer(c->late));
    json_object_set_new(o, "counters", cnt);
    return o;
}

void *cqe_record_service(const struct cqe_period_eval *pe, const struct cqe_service_figures *sf)
{
    const struct cqe_view *v = pe->view;
    const struct cqe_service *sv = &v->svc[sf->service];
    json_t *o = json_object();
    json_object_set_new(o, "kind", json_string("service"));
    json_object_set_new(o, "v", json_integer(1));
    json_object_set_new(o, "service", json_string(v->services.keys[sf->service]));
    json_object_set_new(o, "provider", json_string(v->providers.keys[sv->provider]));
    json_object_set_new(o, "dept", sv->dept == CQE_NONE ? json_null() : json_string(v->depts.keys[sv->dept]));
    json_object_set_new(o, "period", json_string(pe->period.id));
    cqe_json_set_time(o, "as_of", pe->as_of, v->cfg->utc_offset_min);
    json_object_set_new(o, "calendar", json_string(sv->calendar == CQE_CAL_5X8 ? "5x8" : "7x24"));
    json_object_set_new(o, "in_catalog", json_boolean(sv->in_catalog));
    json_object_set_new(o, "agreed_s", json_real(sf->agreed_s));
    json_object_set_new(o, "maintenance_s", json_real(sf->maintenance_s));
    json_object_set_new(o, "downtime_s", json_real(sf->downtime_s));
    json_object_set_new(o, "availability", cqe_json_opt(sf->availability));
    json_object_set_new(o, "target", json_real(sv->target));
    json_object_set_new(o, "weight", json_real(sv->weight));
    json_object_set_new(o, "sla_met", sf->availability.has ? json_boolean(sf->sla_met) : json_null());
    json_object_set_new(o, "incidents", json_integer(sf->incidents));
    json_object_set_new(o, "probe_down_minutes", json_integer(sf->probe_down_minutes));
    json_object_set_new(o, "probe_coverage", cqe_json_opt(sf->probe_coverage));
    return o;
}

void *cqe_record_dept(const struct cqe_period_eval *pe, const struct cqe_dept_figures *df)
{
    const struct cqe_view *v = pe->view;
    json_t *o = json_object();
    json_object_set_new(o, "kind", json_string("dept"));
    json_object_set_new(o, "v", json_integer(1));
    json_object_set_new(o, "dept", json_string(v->depts.keys[df->dept]));
    json_object_set_new(o, "period", json_string(pe->period.id));
    cqe_json_set_time(o, "as_of", pe->as_of, v->cfg->utc_offset_min);
    json_object_set_new(o, "availability", cqe_json_opt(df->availability));
    json_object_set_new(o, "cpu_mean", cqe_json_opt(df->cpu_mean));
    json_object_set_new(o, "mem_mean", cqe_json_opt(df->mem_mean));
    json_object_set_new(o, "survey_score", cqe_json_opt(df->survey_score));
    json_object_set_new(o, "services", json_integer(df->services));
    json_object_set_new(o, "resources", json_integer(df->resources));
    return o;
}

char *cqe_record_dumps(void *record)
{
    return cqe_json_dumps(record, JSON_COMPACT | JSON_PRESERVE_ORDER);
}
