// A test client for cloudqe's dashboard: Debian's chromium, headless, driven by
// playwright-core (installed under tests/clients/node_modules by scripts/setup.sh), one
// page at a time. It reads commands from stdin, one JSON object a line, and answers each
// with one JSON line on stdout, so a Python test (tests/clients.py: Browser) can act
// between the steps (produce events, stop a server) and assert what the page showed:
//
//   {"cmd":"open","url":"http://127.0.0.1:8080/?refresh=1#token=x"}   -> {"ok":true,"url":...}
//   {"cmd":"wait","js":"<expression>","timeout_ms":30000}            -> {"ok":true,"value":...}
//   {"cmd":"read"}                     -> what the page shows (see read() below)
//   {"cmd":"click","selector":"#lang button[data-lang=en]"}         -> {"ok":true}
//   {"cmd":"press","key":"Escape"}     -> {"ok":true} (a key pressed where the focus is)
//   {"cmd":"reload"} / {"cmd":"screenshot","path":"build/artifacts/dashboard.png"}
//   {"cmd":"requests"}                 -> {"ok":true,"urls":[every URL the pages asked for]}
//   {"cmd":"close"}                    -> {"ok":true}, then exit 0
// A failing command answers {"ok":false,"error":"..."} and the client goes on.
// The browser: /usr/bin/chromium (or $CHROMIUM), a fresh profile directory, a 1600x1000
// window, and the flags that keep Chromium off the network (on a closed network it waits
// for its own background requests otherwise).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { chromium } from 'playwright-core';

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// Everything a test asserts, read from the page as a user sees it (textContent: the text
// as written, before CSS) and where the page keeps it.
function read() {
  const text = (el) => (el ? el.textContent.trim() : null);
  const q = (sel, root = document) => root.querySelector(sel);
  const all = (sel, root = document) => [...root.querySelectorAll(sel)];
  // The "why" panel: what it is for (data-id, data-state, the record's as_of), its words and
  // numbers as shown; a field is {label, value} as written. Inside read(): page.evaluate
  // sends the text of read alone.
  function readExplain() {
    const box = document.querySelector('#explain');
    if (!box) return null;
    const q = (sel, root = box) => root.querySelector(sel);
    const all = (sel, root = box) => [...root.querySelectorAll(sel)];
    const fields = (root) => Object.fromEntries(all(':scope > .f', root).map((f) => [f.dataset.key, { label: text(q('i', f)), value: text(q('b', f)) }]));
    const err = q('#explain-error');
    return {
      open: !box.hidden,
      id: box.dataset.id || null,
      state: box.dataset.state || null,
      as_of: box.dataset.asOf || null,
      focus_inside: box.contains(document.activeElement),
      title: text(q('#explain-title')),
      meta: text(q('#explain-meta')),
      error: err.hidden ? null : { status: err.dataset.status || null, text: text(err) },
      score: text(q('.x-score')),
      node: text(q('.x-node-id')),
      points: text(q('.x-points')),
      headings: all('h3').map((h) => text(h)),
      children: all('.x-child').map((r) => ({ id: r.dataset.id, cells: all('td', r).map((c) => text(c)) })),
      sum: all('.x-sum td').map((c) => text(c)),
      renorm: text(q('.x-renorm')),
      raise: all('.x-raise-item').map((b) => ({ id: b.dataset.why, gap: text(q('.x-gap', b)) })),
      value: text(q('.x-value')),
      segment: text(q('.x-segment')),
      counts: all('.x-counts').map((c) => fields(c)),
      items: all('.x-item').map((li) => ({
        id: li.dataset.id, kind: li.dataset.kind, kind_label: text(q('.x-kind', li)), side: text(q('.x-side', li)),
        effect: text(q('.x-effect b', li)), fields: fields(q('.x-fields', li)),
        nested: all('.x-subitem', li).map((x) => ({ kind: x.dataset.kind, id: x.dataset.id || null, fields: fields(x) })),
      })),
      more: text(q('.x-more')),
      bands: { shown: !q('#explain-bands').hidden, canvases: all('#explain-bands canvas').length },
      command: text(q('#explain-cmd')),
    };
  }
  const err = q('#error');
  return {
    href: location.href,
    hash: location.hash,
    lang: document.documentElement.lang,
    title: text(q('h1')),
    labels: Object.fromEntries(all('[data-i18n]').map((el) => [el.dataset.i18n, text(el)])),
    as_of: { text: text(q('#as-of')), raw: q('#as-of').dataset.asOf || null },
    updated: text(q('#updated')),
    error: { shown: !err.hidden, text: text(err), status: err.dataset.status || null },
    token_kept: sessionStorage.getItem('cloudqe.token') !== null,
    marker: window.__cqeMarker ?? null,
    period: { kind: text(q('#kinds button.on')), value: q('#period').value, label: text(q('#period option:checked')) },
    cards: all('#cards .card').map((c) => ({
      target: c.dataset.target,
      selected: c.classList.contains('selected'),
      name: text(q('.card-name', c)),
      score: text(q('.score', c)),
      grade: text(q('.grade', c)),
      dims: all('.dim', c).map((d) => ({ id: d.dataset.dim, name: text(q('.dim-name', d)), score: text(q('.dim-score', d)) })),
    })),
    tree_title: text(q('#tree-title')),
    tree: all('#tree .node').map((n) => ({
      id: n.dataset.id,
      name: text(q('.n-name', n)),
      value: text(q('.n-value', n)),
      points: text(q('.n-points', n)),
      weight: text(q('.n-weight', n)),
    })),
    alerts: all('#alerts .row.alert').map((r) => ({
      id: r.dataset.alert, rule: r.dataset.rule, service: r.dataset.service,
      cells: all('span', r).filter((s) => s.parentElement === r).map((s) => text(s)),
    })),
    below: all('#below .row.svc-row').map((r) => ({
      service: r.dataset.service,
      cells: all('span', r).filter((s) => s.parentElement === r).map((s) => text(s)),
    })),
    empty: all('.empty').map((e) => text(e)),
    charts: all('.chart').map((c) => ({ id: c.id, canvases: c.querySelectorAll('canvas').length })),
    explain: readExplain(),
  };
}

async function main() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'cqe-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: FLAGS,
    viewport: { width: 1600, height: 1000 },
    locale: 'zh-CN',
  });
  const urls = [];
  const consoleErrors = [];
  context.on('request', (r) => urls.push(r.url()));
  let page = context.pages()[0] || (await context.newPage());
  const watch = (p) => {
    p.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    p.on('pageerror', (e) => consoleErrors.push(String(e)));
  };
  watch(page);
  const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
  const lines = readline.createInterface({ input: process.stdin });
  try {
    for await (const line of lines) {
      if (!line.trim()) continue;
      let c;
      try {
        c = JSON.parse(line);
        if (c.cmd === 'close') {
          out({ ok: true });
          break;
        } else if (c.cmd === 'open') {
          await page.close();
          page = await context.newPage();
          watch(page);
          await page.goto(c.url, { waitUntil: 'load' });
          await page.evaluate(() => { window.__cqeMarker = Math.random().toString(36).slice(2); });
          out({ ok: true, url: page.url() });
        } else if (c.cmd === 'reload') {
          await page.reload({ waitUntil: 'load' });
          await page.evaluate(() => { window.__cqeMarker = Math.random().toString(36).slice(2); });
          out({ ok: true, url: page.url() });
        } else if (c.cmd === 'wait') {
          // a function, not a string: the page's Content-Security-Policy forbids eval
          const predicate = new Function(`return (${c.js});`);
          const h = await page.waitForFunction(predicate, null, { timeout: c.timeout_ms || 30000, polling: 100 });
          out({ ok: true, value: await h.jsonValue() });
        } else if (c.cmd === 'read') {
          out({ ok: true, page: await page.evaluate(read), console_errors: consoleErrors.splice(0) });
        } else if (c.cmd === 'click') {
          await page.click(c.selector, { timeout: c.timeout_ms || 10000 });
          out({ ok: true });
        } else if (c.cmd === 'press') {
          await page.keyboard.press(c.key);
          out({ ok: true });
        } else if (c.cmd === 'screenshot') {
          fs.mkdirSync(path.dirname(c.path), { recursive: true });
          await page.screenshot({ path: c.path });
          out({ ok: true, path: c.path });
        } else if (c.cmd === 'requests') {
          out({ ok: true, urls: urls.slice() });
        } else {
          out({ ok: false, error: `unknown command ${JSON.stringify(c.cmd)}` });
        }
      } catch (e) {
        out({ ok: false, error: (e && e.message) || String(e), page: page.isClosed() ? null : await page.evaluate(read).catch(() => null) });
      }
    }
  } finally {
    lines.close();
    process.stdin.destroy(); // an open stdin would keep node alive
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

main().then(
  () => { process.exitCode = 0; },
  (err) => {
    process.stderr.write(`${err && err.stack ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  },
);
