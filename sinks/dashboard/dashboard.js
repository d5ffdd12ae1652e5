// cloudqe's live dashboard (docs/dashboard.md): polls the JSON API of `cloudqe serve`
// (docs/api.md) every few seconds (?refresh=S) and updates the page in place: no reload,
// no flicker, the user's period, provider, language and open tree nodes kept. Charts by
// Apache ECharts, served by the same binary: no request leaves the page's origin.
(function () {
  'use strict';

  const WORDS = window.CQE_I18N;
  const TOKEN_KEY = 'cloudqe.token';
  const LANG_KEY = 'cloudqe.lang';
  const KIND_KEY = 'cloudqe.kind';
  const OPEN_KEY = 'cloudqe.open';
  const KINDS = ['month', 'quarter', 'year'];
  const query = new URLSearchParams(location.search);
  const REFRESH_S = Math.min(3600, Math.max(1, Number(query.get('refresh')) || 5));
  const $ = (id) => document.getElementById(id);

  // ------------------------------------------------------------------ the user's choices
  const ui = {
    lang: pick(localStorage.getItem(LANG_KEY), ['zh', 'en'], 'zh'),
    kind: pick(localStorage.getItem(KIND_KEY), KINDS, 'month'),
    period: null, // null: follow the current period of ui.kind
    target: query.get('target') || 'platform',
    open: loadOpen(), // ids of the tree nodes shown open; null: the first level
  };
  // ?period=2026-03 (or 2026-Q1, 2026) opens that period instead of the current one
  const asked = query.get('period') || '';
  if (/^\d{4}(-\d\d|-Q[1-4])?$/.test(asked)) {
    ui.kind = asked.length === 4 ? 'year' : asked.includes('Q') ? 'quarter' : 'month';
    ui.period = asked;
  }
  const data = { targets: null, overview: null, detail: null, services: null, alerts: null, history: null };
  const status = { error: null, lastOk: null, generation: 0, timer: 0 };

  function pick(v, allowed, fallback) {
    return allowed.includes(v) ? v : fallback;
  }

  function loadOpen() {
    try {
      const v = JSON.parse(localStorage.getItem(OPEN_KEY));
      return Array.isArray(v) ? new Set(v) : null;
    } catch (e) {
      return null;
    }
  }

  // The token arrives once in the fragment (#token=...): kept for this tab in
  // sessionStorage and removed from the address bar (and so from the history).
  function takeToken() {
    const frag = new URLSearchParams(location.hash.replace(/^#/, ''));
    if (!frag.has('token')) return;
    const token = frag.get('token');
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
    frag.delete('token');
    const rest = frag.toString();
    history.replaceState(null, '', location.pathname + location.search + (rest ? '#' + rest : ''));
  }

  // ------------------------------------------------------------------ words and numbers
  function t(key, ...args) {
    const s = (WORDS[ui.lang] && WORDS[ui.lang][key]) ?? WORDS.zh[key] ?? key;
    return typeof s === 'string' ? s.replace(/\{(\d)\}/g, (_, i) => (args[i] ?? '')) : s;
  }

  function esc(v) {
    return String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
  }

  // Scores are printed with 2 decimals (docs/spec/model.md: "round only when printing").
  function fmtScore(v) {
    return typeof v === 'number' && Number.isFinite(v) ? v.toFixed(2) : '—';
  }

  function fmtPct(v, digits) {
    return typeof v === 'number' && Number.isFinite(v) ? (v * 100).toFixed(digits) + '%' : '—';
  }

  // An indicator's value as the snapshot holds it (ratios stay ratios), 6 significant digits.
  function fmtValue(v) {
    if (v === null || v === undefined) return '—';
    if (typeof v !== 'number') return String(v);
    return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
  }

  // "2026-03-02T03:00:00+08:00" -> "2026-03-02 03:00:00 +08:00": the evaluation's own
  // clock, whatever the browser's time zone.
  function fmtTime(s) {
    if (typeof s !== 'string') return '—';
    const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(?:\.\d+)?(Z|[+-]\d\d:\d\d)$/.exec(s);
    return m ? `${m[1]} ${m[2]} ${m[3] === 'Z' ? '+00:00' : m[3]}` : s;
  }

  function fmtShortTime(s) {
    const m = typeof s === 'string' && /^\d{4}-(\d\d-\d\d)T(\d\d:\d\d)/.exec(s);
    return m ? `${m[1]} ${m[2]}` : '—';
  }

  // A time on the evaluation's clock as milliseconds a UTC axis prints as that clock.
  function evalClockMs(s) {
    const ms = Date.parse(s);
    const m = /([+-])(\d\d):(\d\d)$/.exec(s);
    const off = m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
    return ms + off * 60000;
  }

  function fmtPeriod(p) {
    let m = /^(\d{4})-(\d\d)$/.exec(p);
    if (m) return t('periodMonth', m[1], String(Number(m[2])), (t('monthNames') || [])[Number(m[2]) - 1] || m[2]);
    m = /^(\d{4})-Q([1-4])$/.exec(p);
    if (m) return t('periodQuarter', m[1], m[2]);
    m = /^(\d{4})$/.exec(p);
    return m ? t('periodYear', m[1]) : String(p);
  }

  function nodeName(n) {
    return (ui.lang === 'en' ? n.name_en || n.name : n.name || n.name_en) || n.id;
  }

  function gradeText(snap) {
    if (!snap) return '—';
    const g = ui.lang === 'en' ? snap.grade_en ?? snap.grade : snap.grade ?? snap.grade_en;
    return g ?? t('noGrade');
  }

  function targetName(id) {
    if (id === 'platform') return t('platform');
    const found = data.targets && data.targets.targets.find((x) => x.target === id);
    return (found && found.name) || id;
  }

  // ------------------------------------------------------------------ the API
  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  async function api(path) {
    const headers = { Accept: 'application/json' };
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) headers.Authorization = 'Bearer ' + token;
    let res;
    try {
      res = await fetch(path, { headers, cache: 'no-store', credentials: 'omit' });
    } catch (e) {
      throw new ApiError(0, (e && e.message) || String(e));
    }
    let body = null;
    try {
      body = await res.json();
    } catch (e) {
      body = null;
    }
    if (!res.ok) {
      const msg = body && body.error && body.error.message;
      throw new ApiError(res.status, msg || res.statusText || 'error');
    }
    if (body === null) throw new ApiError(res.status, `${path}: the answer is not JSON`);
    return body;
  }

  // A (target, period) without a snapshot yet is a 404: shown as "no score", not an error.
  function orNull(promise) {
    return promise.catch((e) => {
      if (e instanceof ApiError && e.status === 404) return null;
      throw e;
    });
  }

  function currentPeriod() {
    if (ui.period) return ui.period;
    const cur = data.targets && data.targets.current && data.targets.current[ui.kind];
    if (cur) return cur;
    const any = data.targets && data.targets.periods.find((p) => p.period_kind === ui.kind);
    return any ? any.period : null;
  }

  // One poll: the targets first (they say which period is current), then the parts at
  // once. A part that fails keeps what it showed and its error is shown; the others are
  // updated. An answer to an older generation (the user chose something meanwhile) is dropped.
  async function poll() {
    clearTimeout(status.timer);
    const gen = ++status.generation;
    try {
      const targets = await api('api/v1/targets');
      if (gen !== status.generation) return;
      data.targets = targets;
      const period = currentPeriod();
      const q = encodeURIComponent;
      const ofPeriod = (path) => (period ? orNull(api(path)) : Promise.resolve(null));
      const parts = [
        ['overview', ofPeriod(`api/v1/snapshots?period=${q(period)}`)],
        ['detail', ofPeriod(`api/v1/snapshot?target=${q(ui.target)}&period=${q(period)}`)],
        ['services', ofPeriod(`api/v1/services?period=${q(period)}&below_target=true&limit=50`)],
        ['history', ofPeriod(`api/v1/history?target=${q(ui.target)}&period=${q(period)}`)],
        ['alerts', api('api/v1/alerts?limit=50')],
      ];
      const got = await Promise.allSettled(parts.map((p) => p[1]));
      if (gen !== status.generation) return;
      let failed = null;
      got.forEach((r, i) => {
        if (r.status === 'fulfilled') data[parts[i][0]] = r.value;
        else failed = failed || r.reason;
      });
      if (failed) throw failed;
      status.error = null;
      status.lastOk = new Date();
    } catch (e) {
      if (gen !== status.generation) return;
      status.error = e;
    } finally {
      if (gen === status.generation) {
        render();
        status.timer = setTimeout(poll, REFRESH_S * 1000);
      }
    }
  }

  // ------------------------------------------------------------------ rendering
  // Sets an element's markup only when it changed: an unchanged part of the page is never
  // rebuilt, so nothing flickers and nothing loses its hover or scroll position.
  function setHTML(el, html) {
    if (el.__cqeHTML !== html) {
      el.innerHTML = html;
      el.__cqeHTML = html;
    }
  }

  function setText(el, text) {
    if (el.textContent !== text) el.textContent = text;
  }

  function render() {
    document.documentElement.lang = ui.lang === 'en' ? 'en' : 'zh-CN';
    document.title = 'cloudqe · ' + t('title');
    for (const el of document.querySelectorAll('[data-i18n]')) setText(el, t(el.dataset.i18n));
    for (const b of document.querySelectorAll('#lang button')) b.classList.toggle('on', b.dataset.lang === ui.lang);
    for (const b of document.querySelectorAll('#kinds button')) b.classList.toggle('on', b.dataset.kind === ui.kind);
    renderPeriods();
    renderStatus();
    renderCards();
    renderTree();
    renderAlerts();
    renderBelow();
    renderCharts();
  }

  function renderPeriods() {
    const sel = $('period');
    const ps = data.targets ? data.targets.periods.filter((p) => p.period_kind === ui.kind).map((p) => p.period) : [];
    const cur = currentPeriod();
    if (cur && !ps.includes(cur)) ps.unshift(cur);
    setHTML(sel, ps.map((p) => `<option value="${esc(p)}">${esc(fmtPeriod(p))}</option>`).join(''));
    if (cur && sel.value !== cur) sel.value = cur;
  }

  function renderStatus() {
    const asOf = data.targets && data.targets.as_of;
    const el = $('as-of');
    setText(el, data.targets ? (asOf ? fmtTime(asOf) : t('waiting')) : t('loading'));
    el.dataset.asOf = asOf || '';
    const up = status.lastOk;
    setText($('updated'), up ? up.toLocaleTimeString(ui.lang === 'en' ? 'en-GB' : 'zh-CN', { hour12: false }) : t('never'));
    const dot = $('live-dot');
    dot.className = 'dot ' + (status.error ? 'bad' : up ? 'ok' : '');
    dot.title = status.error ? t('stale') : t('live');
    const box = $('error');
    const e = status.error;
    let msg = '';
    if (e) {
      if (e.status === 401) msg = t('err401');
      else if (e.status === 0) msg = t('errDown', e.message);
      else msg = t('errHttp', e.status, e.message);
    }
    setText(box, msg);
    box.dataset.status = e ? String(e.status) : '';
    box.hidden = !e;
  }

  // The model's first level (A, B, C) from the tree of the last detailed snapshot.
  let dimensions = [];
  function topNodes(tree) {
    if (!tree) return [];
    if (Array.isArray(tree)) return tree;
    return Array.isArray(tree.children) ? tree.children : [];
  }

  function renderCards() {
    const box = $('cards');
    if (!data.targets) return;
    const snaps = new Map(((data.overview && data.overview.snapshots) || []).map((s) => [s.target, s]));
    const list = data.targets.targets.slice().sort((a, b) => (a.kind === 'platform' ? -1 : b.kind === 'platform' ? 1 : 0));
    if (data.detail && data.detail.tree) dimensions = topNodes(data.detail.tree).map((n) => ({ id: n.id, name: n.name, name_en: n.name_en }));
    const firing = (data.alerts && data.alerts.firing) || [];
    const html = list.map((tg) => {
      const s = snaps.get(tg.target);
      const gradeClass = s && s.grade_en ? 'g-' + esc(s.grade_en) : 'g-none';
      const dims = dimensions.length ? dimensions : ['A', 'B', 'C'].map((id) => ({ id }));
      const dimHtml = dims.map((d) => {
        const ind = s && s.indicators && s.indicators[d.id];
        const sc = ind && ind.evaluable !== false ? ind.score : null;
        const w = typeof sc === 'number' ? Math.max(0, Math.min(100, sc)) : 0;
        return `<div class="dim" data-dim="${esc(d.id)}"><span class="dim-name">${esc(nodeName(d))}</span>` +
          `<span class="bar"><i style="width:${w.toFixed(1)}%"></i></span><span class="dim-score">${fmtScore(sc)}</span></div>`;
      }).join('');
      const nFiring = firing.filter((a) => tg.kind === 'platform' || a.provider === tg.target).length;
      const veto = s && Array.isArray(s.veto) && s.veto.length ? `<span class="veto">${esc(t('veto'))}</span>` : '';
      return `<article class="card ${tg.kind === 'platform' ? 'platform' : ''} ${tg.target === ui.target ? 'selected' : ''}" ` +
        `data-target="${esc(tg.target)}" tabindex="0">` +
        `<div class="card-head"><span class="card-kind">${esc(tg.kind === 'platform' ? t('platform') : t('provider'))}</span>` +
        `<span class="card-name">${esc(tg.kind === 'platform' ? t('platform') : tg.name || tg.target)}</span>${veto}</div>` +
        `<div class="card-main"><span class="score" data-score="${s ? esc(s.score) : ''}">${s ? fmtScore(s.score) : '—'}</span>` +
        `<span class="grade ${gradeClass}">${s ? esc(gradeText(s)) : esc(t('noData'))}</span></div>` +
        `<div class="dims">${dimHtml}</div>` +
        `<div class="card-foot">${s ? `${esc(t('revision'))} ${esc(s.revision)} · ${esc(s.complete ? t('complete') : t('partial'))}` : ''}` +
        `${nFiring ? ` · <span class="firing">${esc(t('firingCount'))} ${nFiring}</span>` : ''}</div>` +
        `</article>`;
    }).join('');
    setHTML(box, html);
  }

  function isOpen(node, depth) {
    return ui.open ? ui.open.has(node.id) : depth === 0;
  }

  function renderTree() {
    const d = data.detail;
    setText($('tree-title'), t('treeOf', targetName(ui.target)));
    setText($('tree-meta'), d ? `${fmtScore(d.score)} · ${gradeText(d)} · ${t('revision')} ${d.revision}` : '');
    if (!data.targets) return setHTML($('tree'), `<div class="empty">${esc(t('loading'))}</div>`);
    if (!d || !d.tree) return setHTML($('tree'), `<div class="empty">${esc(t('noData'))}</div>`);
    const rows = [];
    const walk = (nodes, depth) => {
      for (const n of nodes) {
        const kids = Array.isArray(n.children) ? n.children : [];
        const open = kids.length && isOpen(n, depth);
        const ev = n.evaluable !== false;
        const w = ev && typeof n.score === 'number' ? Math.max(0, Math.min(100, n.score)) : 0;
        rows.push(`<div class="node d${Math.min(depth, 3)} ${ev ? '' : 'not-ev'} ${kids.length ? 'has-kids' : ''}" ` +
          `data-id="${esc(n.id)}" style="--depth:${depth}">` +
          `<span class="n-name"><span class="tw">${kids.length ? (open ? '▾' : '▸') : ''}</span>` +
          `<span class="n-id">${esc(n.id)}</span> ${esc(nodeName(n))}</span>` +
          `<span class="n-value">${kids.length ? '' : ev ? esc(fmtValue(n.value)) : esc(t('notEvaluable'))}</span>` +
          `<span class="n-points"><span class="bar"><i style="width:${w.toFixed(1)}%"></i></span>${ev ? fmtScore(n.score) : '—'}</span>` +
          `<span class="n-weight">${esc(n.weight ?? '')}</span></div>`);
        if (open) walk(kids, depth + 1);
      }
    };
    walk(topNodes(d.tree), 0);
    setHTML($('tree'), rows.join(''));
  }

  function renderAlerts() {
    const firing = (data.alerts && data.alerts.firing) || [];
    setText($('alerts-meta'), data.alerts ? String(firing.length) : '');
    if (!data.alerts) return;
    if (!firing.length) return setHTML($('alerts'), `<div class="empty ok">${esc(t('noAlerts'))}</div>`);
    const head = `<div class="row head"><span>${esc(t('severity'))}</span><span>${esc(t('rule'))}</span>` +
      `<span>${esc(t('service'))} · ${esc(t('provider'))}</span><span>${esc(t('since'))}</span><span>${esc(t('burn'))}</span></div>`;
    // pages first, then the newest
    const rank = (a) => (a.severity === 'page' ? 0 : 1);
    const sorted = firing.slice().sort((x, y) => rank(x) - rank(y) || String(y.since).localeCompare(String(x.since)));
    const rows = sorted.map((a) => {
      const burn = typeof a.burn_long === 'number' ? `${a.burn_long.toFixed(1)} / ${Number(a.burn_short).toFixed(1)}` : '';
      const over = typeof a.threshold === 'number' ? ` title="&gt; ${esc(a.threshold)}"` : '';
      return `<div class="row alert sev-${esc(a.severity)}" data-alert="${esc(a.id)}" data-rule="${esc(a.rule)}" data-service="${esc(a.service)}">` +
        `<span><b class="sev">${esc(t(a.severity) || a.severity)}</b></span>` +
        `<span title="${esc(t('rule_' + a.rule))}"><code>${esc(a.rule)}</code></span>` +
        `<span><span class="svc">${esc(a.service)}</span> <small>${esc(targetName(a.provider))}</small></span>` +
        `<span class="mono">${esc(fmtShortTime(a.since))}</span><span class="mono"${over}>${burn}</span></div>`;
    });
    setHTML($('alerts'), head + rows.join(''));
  }

  function renderBelow() {
    const s = data.services;
    setText($('below-meta'), s ? t('totalOf', s.total ?? (s.services || []).length) : '');
    if (!data.targets) return;
    const list = (s && s.services) || [];
    if (!list.length) return setHTML($('below'), `<div class="empty ok">${esc(t('noBelow'))}</div>`);
    const head = `<div class="row head"><span>${esc(t('service'))}</span><span>${esc(t('provider'))}</span>` +
      `<span>${esc(t('dept'))}</span><span>${esc(t('availability'))}</span><span>${esc(t('target'))}</span><span>${esc(t('downtime'))}</span></div>`;
    const rows = list.map((v) => `<div class="row svc-row" data-service="${esc(v.service)}">` +
      `<span class="svc">${esc(v.service)}</span><span>${esc(targetName(v.provider))}</span><span>${esc(v.dept ?? '')}</span>` +
      `<span class="mono bad">${fmtPct(v.availability, 3)}</span><span class="mono">${fmtPct(v.target, 2)}</span>` +
      `<span class="mono">${typeof v.downtime_s === 'number' ? esc(t('minutes', (v.downtime_s / 60).toFixed(1))) : '—'}</span></div>`);
    setHTML($('below'), head + rows.join(''));
  }

  // ------------------------------------------------------------------ charts
  const charts = {};
  const INK = '#c9d4e5';
  const GRID = 'rgba(160,180,210,0.14)';
  function chart(id) {
    if (!charts[id] && window.echarts) charts[id] = window.echarts.init($(id), null, { renderer: 'canvas' });
    return charts[id];
  }

  function baseOption() {
    return {
      animation: false,
      useUTC: true,
      backgroundColor: 'transparent',
      textStyle: { color: INK, fontFamily: 'inherit' },
      grid: { left: 56, right: 64, top: 40, bottom: 30 },
      tooltip: { trigger: 'axis', valueFormatter: (v) => (typeof v === 'number' ? v.toFixed(2) : v) },
      legend: { top: 4, textStyle: { color: INK } },
      xAxis: { type: 'time', axisLine: { lineStyle: { color: GRID } }, splitLine: { show: false },
        axisLabel: { color: INK, hideOverlap: true, formatter: (v) => new Date(v).toISOString().slice(5, 16).replace('T', ' ') } },
    };
  }

  let chartKey = '';
  function renderCharts() {
    const pts = (data.history && data.history.points) || [];
    const key = JSON.stringify([ui.lang, ui.target, pts.length, pts.length ? pts[pts.length - 1] : null, pts.length ? pts[0].as_of : null]);
    if (key === chartKey || !window.echarts) return;
    chartKey = key;
    setText($('trend-meta'), `${targetName(ui.target)} · ${pts.length}`);
    const xy = (f) => pts.filter((p) => typeof p[f] === 'number').map((p) => [evalClockMs(p.as_of), f === 'score' ? p[f] : p[f] * 100]);
    const yAxis = (name, extra) => Object.assign({ type: 'value', name, nameTextStyle: { color: INK }, axisLabel: { color: INK },
      splitLine: { lineStyle: { color: GRID } } }, extra);
    const line = (name, values, color, extra) => Object.assign({ name, type: 'line', showSymbol: values.length < 40, symbolSize: 5,
      data: values, lineStyle: { width: 2, color }, itemStyle: { color } }, extra);
    chart('chart-trend').setOption(Object.assign(baseOption(), {
      yAxis: [yAxis(t('score'), { min: 0, max: 100 }), yAxis(t('availability') + ' %', { max: 100, splitLine: { show: false },
        min: (r) => Math.max(0, Math.floor(Math.min(r.min, 99.9) - 0.5)), axisLabel: { color: INK, formatter: (v) => v.toFixed(1) } })],
      series: [line(t('score'), xy('score'), '#4fc3f7'),
        line(t('availability'), xy('availability'), '#81c784', { yAxisIndex: 1 })],
    }), { notMerge: true });
    chart('chart-util').setOption(Object.assign(baseOption(), {
      yAxis: [yAxis('%', { min: 0, max: 100 })],
      series: [line(t('cpu'), xy('cpu_mean'), '#ffb74d', { areaStyle: { opacity: 0.08 } }),
        line(t('mem'), xy('mem_mean'), '#ba68c8', { areaStyle: { opacity: 0.08 } })],
    }), { notMerge: true });
  }

  // ------------------------------------------------------------------ interaction
  function choose(change) {
    Object.assign(ui, change);
    localStorage.setItem(LANG_KEY, ui.lang);
    localStorage.setItem(KIND_KEY, ui.kind);
    const refetch = !('lang' in change);
    if (refetch) {
      // what belonged to the old choice is not shown under the new one
      data.detail = data.history = null;
      if ('kind' in change || 'period' in change) data.overview = data.services = null;
    }
    render();
    if (refetch) poll();
  }

  function saveOpen() {
    localStorage.setItem(OPEN_KEY, JSON.stringify([...ui.open]));
  }

  function openSetFromTree(all) {
    const ids = new Set();
    const walk = (nodes, depth) => {
      for (const n of nodes || []) {
        if (Array.isArray(n.children) && n.children.length) {
          if (all || isOpen(n, depth)) ids.add(n.id);
          walk(n.children, depth + 1);
        }
      }
    };
    walk(topNodes(data.detail && data.detail.tree), 0);
    return ids;
  }

  function wire() {
    $('lang').addEventListener('click', (e) => {
      const b = e.target.closest('button[data-lang]');
      if (b) choose({ lang: b.dataset.lang });
    });
    $('kinds').addEventListener('click', (e) => {
      const b = e.target.closest('button[data-kind]');
      if (b && b.dataset.kind !== ui.kind) choose({ kind: b.dataset.kind, period: null });
    });
    $('period').addEventListener('change', (e) => {
      const cur = data.targets && data.targets.current && data.targets.current[ui.kind];
      choose({ period: e.target.value === cur ? null : e.target.value });
    });
    const onCard = (e) => {
      const c = e.target.closest('.card[data-target]');
      if (c && c.dataset.target !== ui.target) choose({ target: c.dataset.target });
    };
    $('cards').addEventListener('click', onCard);
    $('cards').addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') onCard(e);
    });
    $('tree').addEventListener('click', (e) => {
      const row = e.target.closest('.node.has-kids');
      if (!row) return;
      if (!ui.open) ui.open = openSetFromTree(false);
      if (ui.open.has(row.dataset.id)) ui.open.delete(row.dataset.id);
      else ui.open.add(row.dataset.id);
      saveOpen();
      renderTree();
    });
    $('expand-all').addEventListener('click', () => {
      ui.open = openSetFromTree(true);
      saveOpen();
      renderTree();
    });
    $('collapse-all').addEventListener('click', () => {
      ui.open = new Set();
      saveOpen();
      renderTree();
    });
    window.addEventListener('resize', () => Object.values(charts).forEach((c) => c.resize()));
    window.addEventListener('hashchange', () => {
      if (/token=/.test(location.hash)) {
        takeToken();
        poll();
      }
    });
  }

  takeToken();
  wire();
  render();
  poll();
  window.cloudqeDashboard = { refreshSeconds: REFRESH_S, state: () => ({ ui: { ...ui, open: ui.open && [...ui.open] }, status: { ...status } }) };
})();
