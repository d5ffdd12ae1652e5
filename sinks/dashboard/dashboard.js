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
    explain: /^[A-Za-z0-9._-]{1,64}$/.test(query.get('explain') || '') ? query.get('explain') : null, // the "why" panel's node
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
    refreshExplain(); // here, not in renderExplain: an answer renders without asking again
    renderExplain();
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
    const rootId = (d && d.tree && !Array.isArray(d.tree) && d.tree.id) || 'total';
    setHTML($('tree-meta'), d ? `<button type="button" class="why-total${ui.explain === rootId ? ' on' : ''}" data-why="${esc(rootId)}" ` +
      `title="${esc(t('whyOf', t('xTotal')))}">${esc(t('total'))} <b>${fmtScore(d.score)}</b></button>` +
      ` · ${esc(gradeText(d))} · ${esc(t('revision'))} ${esc(d.revision)}` : '');
    if (!data.targets) return setHTML($('tree'), `<div class="empty">${esc(t('loading'))}</div>`);
    if (!d || !d.tree) return setHTML($('tree'), `<div class="empty">${esc(t('noData'))}</div>`);
    const rows = [];
    const walk = (nodes, depth) => {
      for (const n of nodes) {
        const kids = Array.isArray(n.children) ? n.children : [];
        const open = kids.length && isOpen(n, depth);
        const ev = n.evaluable !== false;
        const w = ev && typeof n.score === 'number' ? Math.max(0, Math.min(100, n.score)) : 0;
        rows.push(`<div class="node d${Math.min(depth, 3)} ${ev ? '' : 'not-ev'} ${kids.length ? 'has-kids' : 'leaf'}` +
          `${ui.explain === n.id ? ' explained' : ''}" ` +
          `data-id="${esc(n.id)}" style="--depth:${depth}">` +
          `<span class="n-name"><span class="tw">${kids.length ? (open ? '▾' : '▸') : ''}</span>` +
          `<span class="n-id">${esc(n.id)}</span> ${esc(nodeName(n))}</span>` +
          `<span class="n-value">${kids.length ? '' : ev ? esc(fmtValue(n.value)) : esc(t('notEvaluable'))}</span>` +
          `<span class="n-points"><span class="bar"><i style="width:${w.toFixed(1)}%"></i></span>${ev ? fmtScore(n.score) : '—'}</span>` +
          `<span class="n-weight">${esc(n.weight ?? '')}</span>` +
          `<span class="n-why"><button type="button" class="why" data-why="${esc(n.id)}" ` +
          `aria-label="${esc(t('whyOf', n.id + ' ' + nodeName(n)))}" title="${esc(t('whyOf', n.id + ' ' + nodeName(n)))}">?</button></span></div>`);
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

  // ------------------------------------------------------------------ why: the explain panel
  // One node of the selected target and period as /api/v1/explain gives it (the record of
  // `cloudqe explain --json`, docs/scoring.md): a node's children and what would raise it, a
  // leaf's value, curve and evidence. Asked for when the panel opens, when the node, target
  // or period changes, and once per new as_of of the page's poll (an unchanged poll asks
  // nothing and rebuilds nothing).
  const EXPLAIN_ITEMS = 20; // as the text output: the first 20 items, then how many more
  const EXPLAIN_NESTED = 30;
  const EXPLAIN_RAISE = 5;
  const ITEM_OWN = new Set(['kind', 'id', 'side', 'against', 'effect']); // shown in an item's head
  const NESTED = [['intervals', 'xIntervals'], ['incidents', 'xIncidents'], ['maintenance', 'xMaintenance']];
  const explain = { asked: '', seq: 0, record: null, recordFor: '', error: null, errorFor: '', returnTo: null };
  let bandsKey = '';

  // What the panel is to show now: the node, target and period, and the page's as_of.
  function explainWanted() {
    const period = currentPeriod();
    if (!ui.explain || !period || !data.targets) return null;
    const what = JSON.stringify([ui.target, period, ui.explain]);
    return { target: ui.target, period, id: ui.explain, what, asOf: data.targets.as_of || '' };
  }

  function refreshExplain() {
    const w = explainWanted();
    if (!w) return;
    const key = JSON.stringify([w.what, w.asOf]);
    if (key === explain.asked) return;
    explain.asked = key;
    fetchExplain(w);
  }

  async function fetchExplain(w) {
    const seq = ++explain.seq;
    const q = encodeURIComponent;
    try {
      const r = await api(`api/v1/explain?target=${q(w.target)}&period=${q(w.period)}&indicator=${q(w.id)}&limit=${EXPLAIN_ITEMS}`);
      if (seq !== explain.seq) return;
      explain.record = r;
      explain.recordFor = w.what;
      explain.error = null;
      // serve evaluates its state apart from the emitted snapshots: while that evaluation
      // is older than the page's as_of, ask again at the next poll
      if (w.asOf && Date.parse(r.as_of) < Date.parse(w.asOf)) explain.asked = '';
    } catch (e) {
      if (seq !== explain.seq) return;
      explain.error = e;
      explain.errorFor = w.what;
      if (e.status === 0 || e.status === 429 || e.status >= 500) explain.asked = ''; // may pass: again next poll
    }
    renderExplain();
  }

  function showExplain(id, from) {
    if (from && !$('explain').contains(from)) {
      explain.returnTo = from.closest('#tree-meta') ? '#tree-meta [data-why]' : `#tree [data-why="${CSS.escape(id)}"]`;
    }
    ui.explain = id;
    keepExplainInUrl();
    render();
    $('explain-title').focus(); // scrolls to the panel where it is stacked under the tree (narrow windows)
    $('explain').querySelector('.explain-body').scrollTop = 0;
  }

  function closeExplain() {
    ui.explain = null;
    explain.asked = '';
    keepExplainInUrl();
    render();
    const back = explain.returnTo && document.querySelector(explain.returnTo);
    if (back) back.focus();
  }

  // ?explain=ID (with ?target= and ?period= when they are not the defaults) while the panel
  // is open, so the address is a link to what it shows; the other parameters stay.
  function keepExplainInUrl() {
    const q = new URLSearchParams(location.search);
    if (ui.explain) {
      q.set('explain', ui.explain);
      if (ui.target !== 'platform') q.set('target', ui.target);
      else q.delete('target');
      if (ui.period) q.set('period', ui.period);
      else q.delete('period');
    } else {
      q.delete('explain');
    }
    const s = q.toString();
    history.replaceState(null, '', location.pathname + (s ? '?' + s : '') + location.hash);
  }

  function evLabel(key) {
    for (const words of [WORDS[ui.lang].ev, WORDS.zh.ev]) if (words && Object.hasOwn(words, key)) return words[key];
    return key;
  }

  function xName(n) {
    return (ui.lang === 'en' ? n.en || n.name : n.name || n.en) || n.id;
  }

  // Numbers as the text output prints them: integers whole, others with 10 significant digits.
  function fmtNum(v) {
    if (typeof v !== 'number' || !Number.isFinite(v)) return '—';
    return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(10)));
  }

  function fmtShare(v) {
    return typeof v === 'number' ? (v * 100).toFixed(2) + ' %' : '—';
  }

  const EV_TIME = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)$/;
  function fmtEvValue(v) {
    if (v === null || v === undefined) return '—';
    if (typeof v === 'number') return fmtNum(v);
    if (typeof v === 'boolean') return t(v ? 'yes' : 'no');
    const m = EV_TIME.exec(v);
    return m ? `${m[1]} ${m[2]}` : evLabel(String(v));
  }

  // "label value" of every scalar field but those named already; value in <b> (data-value raw).
  function fieldsHtml(o, skip) {
    return Object.entries(o).filter(([k, v]) => !skip.has(k) && (v === null || typeof v !== 'object'))
      .map(([k, v]) => `<span class="f" data-key="${esc(k)}" data-value="${esc(v)}"${typeof v === 'string' && EV_TIME.test(v) ? ` title="${esc(v)}"` : ''}>` +
        `<i>${esc(evLabel(k))}</i> <b>${esc(fmtEvValue(v))}</b></span>`).join('');
  }

  function explainError(e) {
    if (e.status === 401) return t('err401');
    if (e.status === 0) return t('errDown', e.message);
    return t('errHttp', e.status, e.message);
  }

  function pointText(p) {
    return `[${fmtNum(p[0])}, ${fmtNum(p[1])}]`;
  }

  // The context (as of, total, grade, veto), the path up to the root, and the node itself.
  function explainHeadHtml(r) {
    const n = r.node;
    const path = n.path.map((id, i) => {
      const label = i === 0 ? t('xTotal') : id;
      return i === n.path.length - 1 ? `<b>${esc(label)}</b>` : `<button type="button" class="x-go" data-why="${esc(id)}">${esc(label)}</button>`;
    }).join(' <span class="sep">›</span> ');
    const grade = ui.lang === 'en' ? r.grade_en : r.grade;
    const veto = r.veto.length ? `<span class="veto">${esc(t('xVeto'))} ${esc(r.veto.join(', '))}</span>` : '';
    const stats = [[t('xPoints'), `<b class="x-points">${n.evaluable ? fmtScore(n.points) : esc(t('xNotEvaluable'))}</b>`],
      [t('xWeight'), `<b>${fmtNum(n.weight)}</b>`], [t('xShareOfTotal'), `<b>${fmtShare(n.share_of_total)}</b>`]];
    let html = `<div class="x-context"><span>${esc(t('xAsOf'))} <span class="mono">${esc(fmtTime(r.as_of))}</span> ` +
      `(${esc(t(r.complete ? 'xComplete' : 'xIncomplete'))})</span>` +
      `<span>${esc(t('xTotal'))} <b class="x-score">${fmtScore(r.score)}</b></span>` +
      `<span class="grade g-${esc(r.grade_en || 'none')}">${esc(grade ?? t('noGrade'))}</span>${veto}</div>` +
      `<div class="x-path"><span class="label">${esc(t('xPath'))}</span> ${path}</div>` +
      `<div class="x-node"><span class="x-kindof">${esc(t(n.leaf ? 'xIndicator' : 'xNode'))}</span>` +
      `<span class="x-node-id">${esc(n.id)}</span> <span class="x-node-name">${esc(xName(n))}</span>` +
      stats.map(([k, v]) => `<span class="kv"><i>${esc(k)}</i> ${v}</span>`).join('') + '</div>';
    if (n.leaf) html += explainLeafHeadHtml(r);
    return html;
  }

  // A leaf's value, the curve with the two points the value lies between, the counts, and
  // the distribution's summary (its bands are the chart below).
  function explainLeafHeadHtml(r) {
    const seg = r.segment;
    const same = (a, b) => a && b && a[0] === b[0] && a[1] === b[1];
    const curve = r.curve.map((p) => `<span class="pt${seg && (same(p, seg.from) || same(p, seg.to)) ? ' seg' : ''}">${pointText(p)}</span>`).join(' ');
    let where = '';
    if (seg) where = same(seg.from, seg.to) ? t('xBeyond', pointText(seg.from)) : t('xFalls', pointText(seg.from), pointText(seg.to));
    let html = `<div class="x-leaf"><span class="kv"><i>${esc(t('xValue'))} (${esc(r.figure)})</i> ` +
      `<b class="x-value" data-value="${esc(r.value)}">${r.value === null ? esc(t('xNotEvaluable')) : esc(fmtNum(r.value))}</b></span>` +
      `<span class="kv x-curve"><i>${esc(t('xCurve'))}</i> ${curve}</span>` +
      (where ? `<span class="kv x-segment">${esc(where)}</span>` : '') + '</div>';
    const ev = r.evidence || {};
    const counts = Object.entries(ev.summary || {});
    if (counts.length) {
      html += `<div class="x-counts"><span class="label">${esc(t('xCounts'))}</span> ` +
        fieldsHtml(ev.summary, new Set()) + '</div>';
    }
    const d = ev.distribution;
    if (d) {
      html += `<h3>${esc(t('xDistribution'))} <small>${esc(t('xByTime', d.weight_s))}</small></h3>` +
        `<div class="x-counts x-dist">${fieldsHtml({ p50: d.p50, p95: d.p95, max: d.max }, new Set())}</div>`;
    }
    return html;
  }

  // A node: its children (weight, share, points, contribution) with their sum, what was
  // re-normalised away, and the leaves whose weighted gap is largest.
  function explainNodeHtml(r) {
    const rows = r.children.map((k) => `<tr class="x-child${k.evaluable ? '' : ' not-ev'}" data-id="${esc(k.id)}">` +
      `<td><button type="button" class="x-go" data-why="${esc(k.id)}"><span class="x-id">${esc(k.id)}</span> ${esc(xName(k))}</button></td>` +
      `<td class="num">${fmtNum(k.weight)}</td><td class="num">${k.evaluable ? fmtShare(k.share) : '—'}</td>` +
      `<td class="num">${k.evaluable ? fmtScore(k.points) : esc(t('xNotEvaluable'))}</td>` +
      `<td class="num c-contrib">${typeof k.contribution === 'number' ? k.contribution.toFixed(4) : '—'}</td></tr>`);
    const counted = r.children.filter((k) => typeof k.contribution === 'number');
    const sum = counted.reduce((a, k) => a + k.contribution, 0);
    const shares = counted.reduce((a, k) => a + k.share, 0);
    let html = `<h3>${esc(t('xChildren'))}</h3><table class="x-children"><thead><tr><th></th>` +
      ['xWeight', 'xShare', 'xPoints', 'xContribution'].map((k) => `<th class="num">${esc(t(k))}</th>`).join('') +
      `</tr></thead><tbody>${rows.join('')}</tbody><tfoot><tr class="x-sum"><td>${esc(t('xSum'))}</td>` +
      `<td class="num">${fmtNum(r.weight_evaluable)} / ${fmtNum(r.weight_total)}</td><td class="num">${fmtShare(shares)}</td>` +
      `<td class="num">${fmtScore(r.node.points)}</td><td class="num c-contrib">${counted.length ? sum.toFixed(4) : '—'}</td></tr></tfoot></table>`;
    if (r.not_evaluable.length) {
      html += `<div class="x-renorm">${esc(t('xRenorm', fmtNum(r.weight_evaluable), fmtNum(r.weight_total), r.not_evaluable.join(', ')))}</div>`;
    }
    const raise = r.raise.filter((g) => g.gap > 0).slice(0, EXPLAIN_RAISE);
    html += `<h3>${esc(t('xRaise'))} <small>${esc(t('xGap'))} = ${esc(t('xRaiseHow'))}</small></h3>`;
    if (!raise.length) return html + `<div class="empty ok">${esc(t('xRaiseNone'))}</div>`;
    return html + '<ol class="x-raise">' + raise.map((g) => `<li><button type="button" class="x-go x-raise-item" data-why="${esc(g.id)}">` +
      `<span class="x-id">${esc(g.id)}</span> <span class="x-raise-name">${esc(xName(g))}</span>` +
      `<span class="kv"><i>${esc(t('xShare'))}</i> ${fmtShare(g.share)}</span><span class="kv"><i>${esc(t('xPoints'))}</i> ${fmtScore(g.points)}</span>` +
      `<b class="x-gap" title="${esc(g.gap)}">+${g.gap.toFixed(2)}</b></button></li>`).join('') + '</ol>';
  }

  function nestedHtml(list, titleKey) {
    if (!Array.isArray(list) || !list.length) return '';
    const rows = list.slice(0, EXPLAIN_NESTED).map((x) => `<li class="x-subitem" data-kind="${esc(x.kind)}" data-id="${esc(x.id ?? '')}">` +
      `<span class="x-kind">${esc(evLabel(x.kind))}</span>${x.id ? ` <b>${esc(x.id)}</b>` : ''}` +
      `${x.side ? ` <span class="x-side">${esc(evLabel(x.side))}</span>` : ''} ${fieldsHtml(x, ITEM_OWN)}</li>`);
    const more = list.length > EXPLAIN_NESTED ? `<div class="x-more">${esc(t('xMore', list.length - EXPLAIN_NESTED))}</div>` : '';
    return `<div class="x-sub"><div class="label">${esc(t(titleKey))}</div><ol>${rows.join('')}</ol>${more}</div>`;
  }

  // A leaf's evidence: the first items, largest effect first, each with its fields, its
  // nested lists (a service's down intervals, incidents, maintenance) and its effect.
  function explainEvidenceHtml(r) {
    const ev = r.evidence;
    if (!ev || ev.leaf === null) return `<div class="empty">${esc(t('xNoEvidence'))}</div>`;
    const items = ev.items || [];
    const total = ev.items_total ?? items.length; // the API sends the first EXPLAIN_ITEMS and the count
    const top = items.reduce((a, it) => Math.max(a, it.effect || 0), 0);
    let html = `<h3>${esc(t('xEvidence'))} <small>${esc(t('xLargestFirst', total))}</small></h3>`;
    if (!items.length) return html + `<div class="empty">${esc(t('xNoItems'))}</div>`;
    html += '<ol class="x-items">' + items.slice(0, EXPLAIN_ITEMS).map((it) => {
      const w = top > 0 ? Math.min(100, (100 * (it.effect || 0)) / top) : 0;
      return `<li class="x-item${it.against && it.effect > 0 ? ' against' : ''}" data-kind="${esc(it.kind)}" data-id="${esc(it.id ?? '')}">` +
        `<div class="x-item-head"><span class="x-kind">${esc(evLabel(it.kind))}</span> <b class="x-id">${esc(it.id ?? '')}</b>` +
        `${it.side ? ` <span class="x-side">${esc(evLabel(it.side))}</span>` : ''}` +
        `<span class="x-effect" data-value="${esc(it.effect)}"><i>${esc(evLabel('effect'))}</i> <b>${esc(fmtNum(it.effect))}</b>` +
        `<span class="bar"><i style="width:${w.toFixed(1)}%"></i></span></span></div>` +
        `<div class="x-fields">${fieldsHtml(it, ITEM_OWN)}</div>` +
        NESTED.map(([key, title]) => nestedHtml(it[key], title)).join('') + '</li>';
    }).join('') + '</ol>';
    if (total > EXPLAIN_ITEMS) html += `<div class="x-more">${esc(t('xMore', total - EXPLAIN_ITEMS))}</div>`;
    return html;
  }

  // The same record from the command line (the Redis URL and config are the operator's).
  function explainCommand(w) {
    const arg = (s) => (/^[A-Za-z0-9._:/-]+$/.test(s) ? s : `'${String(s).replace(/'/g, "'\\''")}'`);
    return `cloudqe explain --config CONFIG.json --state redis://HOST:PORT/DB --target ${arg(w.target)} ` +
      `--period ${arg(w.period)} --indicator ${arg(w.id)}`;
  }

  function renderExplain() {
    const box = $('explain');
    box.hidden = !ui.explain;
    if (!ui.explain) {
      box.dataset.state = '';
      return;
    }
    const w = explainWanted();
    const r = w && explain.recordFor === w.what ? explain.record : null;
    // before the page knows its period (no token, server away) the page's own error is the panel's
    const e = w ? (explain.errorFor === w.what ? explain.error : null) : status.error;
    box.dataset.id = ui.explain;
    box.dataset.state = e ? 'error' : r ? 'ok' : 'loading';
    box.dataset.asOf = r ? r.as_of : '';
    const close = $('explain-close');
    close.title = t('close');
    close.setAttribute('aria-label', t('close'));
    setText($('explain-meta'), `${targetName(ui.target)} · ${w ? fmtPeriod(w.period) : '—'} · ${ui.explain}`);
    const err = $('explain-error');
    setText(err, e ? explainError(e) : '');
    err.dataset.status = e ? String(e.status) : '';
    err.hidden = !e;
    setHTML($('explain-head'), r ? explainHeadHtml(r) : e ? '' : `<div class="empty">${esc(t('loading'))}</div>`);
    setHTML($('explain-list'), r ? (r.node.leaf ? explainEvidenceHtml(r) : explainNodeHtml(r)) : '');
    setText($('explain-cmd'), w ? explainCommand(w) : '');
    renderBands(r);
  }

  // The band (0..9) holding a percentile value (a bucket: a multiple of 0.01), as the text.
  function bandOf(v) {
    return Math.min(9, Math.floor(Math.round(100 * v) / 10));
  }

  // A utilization leaf's time weight by 10-point band; the bands of p50 and p95 marked.
  function renderBands(r) {
    const el = $('explain-bands');
    const d = r && r.node.leaf && r.evidence && r.evidence.distribution;
    el.hidden = !d;
    if (!d || !window.echarts) {
      bandsKey = '';
      return;
    }
    const key = JSON.stringify([ui.lang, r.target, r.period, r.node.id, r.as_of]);
    if (key === bandsKey) return;
    bandsKey = key;
    const c = chart('explain-bands');
    c.resize(); // it may have been hidden: its size is known only now
    const p50 = bandOf(d.p50), p95 = bandOf(d.p95);
    const mark = (i) => [i === p50 ? 'p50' : '', i === p95 ? 'p95' : ''].filter(Boolean).join(' ');
    c.setOption({
      animation: false,
      backgroundColor: 'transparent',
      textStyle: { color: INK, fontFamily: 'inherit' },
      grid: { left: 48, right: 12, top: 26, bottom: 26 },
      tooltip: { trigger: 'axis', valueFormatter: (v) => v.toFixed(2) + ' %' },
      xAxis: { type: 'category', data: d.bands.map((b) => b.id), axisLabel: { color: INK }, axisLine: { lineStyle: { color: GRID } } },
      yAxis: { type: 'value', name: t('xShare') + ' %', min: 0, nameTextStyle: { color: INK }, axisLabel: { color: INK },
        splitLine: { lineStyle: { color: GRID } } },
      series: [{ type: 'bar', name: t('xShare'), barMaxWidth: 40,
        data: d.bands.map((b, i) => ({ value: b.share * 100, itemStyle: { color: mark(i) ? '#ffb74d' : '#4fc3f7' },
          label: { show: !!mark(i), position: 'top', color: INK, formatter: mark(i) } })) }],
    }, { notMerge: true });
  }

  function copyCommand() {
    const code = $('explain-cmd');
    const done = (key) => setText($('explain-copied'), t(key));
    const select = () => {
      getSelection().selectAllChildren(code);
      done('copySelected');
    };
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(code.textContent).then(() => done('copied'), select);
    else select();
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
    if (ui.explain && ('target' in change || 'period' in change)) keepExplainInUrl();
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
    // "why": a row's button, a leaf's row, the total, and the panel's own links
    document.addEventListener('click', (e) => {
      const b = e.target.closest('[data-why]') || e.target.closest('#tree .node.leaf');
      if (b) showExplain(b.dataset.why || b.dataset.id, b);
    });
    document.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && ui.explain) {
        e.preventDefault();
        closeExplain();
      }
    });
    $('explain-close').addEventListener('click', closeExplain);
    $('explain-copy').addEventListener('click', copyCommand);
    $('tree').addEventListener('click', (e) => {
      const row = e.target.closest('.node.has-kids');
      if (!row || e.target.closest('[data-why]')) return;
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
