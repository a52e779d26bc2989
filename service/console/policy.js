// A policy's page: its funnel, reach by channel and prefecture, the daily curve, the time to
// answer, broker leverage, the unreached firms (with the CSV), what firms need, and a firm lookup
// with its deliveries and their decision records. Every figure comes from the public API.

import { SignedOut, download, gql } from './api.js';
import { bars, daily } from './charts.js';
import { h, fill } from './dom.js';
import { dateTime, number, percent, t } from './i18n.js';
import { isLive, live, stopLive } from './live.js';
import { rangeForm } from './overview.js';

const REACH = `query($id: ID!, $from: Date, $to: Date) {
  policy(id: $id) { id code title status version versionStatus issuers { code } }
  outreach(policyId: $id, from: $from, to: $to) {
    audience reached acknowledged acknowledgedByFirm reachRate acknowledgeRate
    responses { response firms }
    byChannel { channel reached acknowledged }
    byRegion { region { code name } audience reached acknowledged }
    daily { date deliveries newlyReached acknowledgements }
    medianHoursToAcknowledge
  }
  brokerLeverage(policyId: $id, first: 10) { broker { uscc name } clients unreachedClients }
}`;

const UNREACHED = `query($id: ID!, $stage: FunnelStage, $after: String) {
  unreachedFirms(policyId: $id, stage: $stage, first: 20, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { uscc name region { name } brokers { name } }
  }
}`;

const NEEDS = `query($id: ID!, $from: Date, $to: Date, $term: String, $after: String) {
  needs(policyId: $id, from: $from, to: $to) {
    comments firms byResponse { response comments firms }
    terms(first: 15) { term firms share examples }
    entries(term: $term, first: 10, after: $after) {
      totalCount pageInfo { hasNextPage endCursor }
      nodes { comment response channel createdAt firm { uscc name } }
    }
  }
}`;

const HISTORY = `query($id: ID!) {
  policy(id: $id) {
    versions { version status publishedAt createdAt }
    audit { action version actorRole actorSubject actorDepartment at changes }
  }
}`;

const DELIVERIES = `query($id: ID!, $uscc: String) {
  deliveries(policyId: $id, firmUscc: $uscc, first: 20) {
    nodes { id channel deliveredAt actorRole impressions declarationId broker { name }
      decision { policyVersion outcome evaluatedOn reasons { text outcome } } }
  }
}`;

export async function policyPage(view, route, viewer, go) {
  const { id, params } = route;
  const range = { from: params.get('from') || null, to: params.get('to') || null };
  const back = new URLSearchParams();
  for (const key of ['from', 'to', 'd']) if (params.get(key)) back.set(key, params.get(key));
  fill(view, h('p', {}, h('a', { href: `#/?${back}` }, `← ${t('back')}`)), h('p', { class: 'muted' }, t('loading')));
  const data = await gql(REACH, { id, ...range });
  const o = data.outreach;
  const p = data.policy;
  fill(view,
    h('p', {}, h('a', { href: `#/?${back}` }, `← ${t('back')}`)),
    h('h1', {}, h('span', { class: 'code' }, p.code), ' ', p.title, ' ',
      h('span', { class: `status ${p.status.toLowerCase()}` }, t(p.status))),
    await actions(p, viewer, go),
    rangeForm(params, (next) => go(`/policy/${id}`, next)),
    funnel(o),
    ...breakdown(data),
    await unreached(id),
    await needs(id, range),
    firmLookup(id),
    await history(id),
  );
  // Over all time the funnel follows the policy's reach as filings and answers arrive, and the
  // breakdowns below it are read again when it moved (at most every few seconds).
  if (range.from || range.to) {
    stopLive();
    return;
  }
  let first = true;
  const refresh = refresher(id, () => isLive(subscription));
  const subscription = live(LIVE, { id }, (pushed) => {
    const figures = pushed.outreachChanged;
    liveFunnel(figures);
    // The first event is the figures as they stand when the subscription began: the page read
    // the breakdowns before, so they are read again only if the figures moved in between.
    if (figures && (!first || moved(figures, o))) refresh();
    first = false;
  });
}

/** Whether the pushed headline `figures` differ from those the page read (`o`). */
function moved(figures, o) {
  return ['audience', 'reached', 'acknowledged'].some((key) => figures[key] !== o[key]);
}

/** The reach by channel, by prefecture and by day, and the brokers' leverage. */
function breakdown(data) {
  const o = data.outreach;
  return [
    section('byChannel', table(['channel', 'reached', 'acknowledged'], o.byChannel.map((c) => [t(c.channel), c.reached, c.acknowledged]), 'channels')),
    section('byRegion',
      bars(o.byRegion.map((r) => ({ label: r.region.name, value: r.audience, part: r.reached })), { caption: t('byRegion') }),
      table(['region', 'audience', 'reached', 'acknowledged'], o.byRegion.map((r) => [r.region.name, r.audience, r.reached, r.acknowledged]), 'regions')),
    section('daily',
      daily(o.daily, ['deliveries', 'newlyReached', 'acknowledgements'], { caption: t('daily') }),
      h('details', {}, h('summary', {}, t('daily')),
        table(['time', 'deliveries', 'newlyReached', 'acknowledgements'], o.daily.map((d) => [d.date, d.deliveries, d.newlyReached, d.acknowledgements]), 'daily'))),
    section('brokers', table(['broker', 'clients', 'unreachedClients'], data.brokerLeverage.map((b) => [b.broker.name, b.clients, b.unreachedClients]), 'brokers')),
  ];
}

/** How long the breakdowns wait after they were last read before they are read again. */
const REFRESH_MS = 5000;

/** A function that reads policy `id`'s breakdowns again and puts them in place of the shown
 *  ones: at once the first time, then no more than once in REFRESH_MS, and only while `current()`
 *  says the page is still the one that asked (a new render, a date range or another page ends
 *  it). What the reader had open, focused or scrolled stays so. */
function refresher(id, current) {
  let last = 0;
  let pending = null;
  return () => {
    if (pending) return;
    pending = setTimeout(async () => {
      pending = null;
      last = Date.now();
      if (!current()) return;
      let data;
      try {
        data = await gql(REACH, { id, from: null, to: null });
      } catch (error) {
        // Signed out meanwhile: the page is rendered again, which asks to sign in. Otherwise
        // the funnel stays live and the breakdowns are read again on the next change.
        if (error instanceof SignedOut && current()) window.dispatchEvent(new HashChangeEvent('hashchange'));
        return;
      }
      if (!current()) return;
      for (const next of breakdown(data)) {
        const shown = document.getElementById(next.id);
        if (shown) replaceKeeping(shown, next);
      }
    }, Math.max(0, last + REFRESH_MS - Date.now()));
  };
}

/** Puts `next` in place of `shown` (the same section, read again), keeping which details are
 *  open, how far each table is scrolled and, if focus was inside, the focused control. */
function replaceKeeping(shown, next) {
  const pairs = (selector) => {
    const before = [...shown.querySelectorAll(selector)];
    const after = [...next.querySelectorAll(selector)];
    return before.map((el, i) => [el, after[i]]).filter(([, other]) => other);
  };
  for (const [was, is] of pairs('details')) is.open = was.open;
  const scrolled = pairs('.scroll').map(([was, is]) => [is, was.scrollLeft]);
  const focusable = 'a[href], button, summary, input, select, textarea';
  const focused = pairs(focusable).find(([was]) => was === document.activeElement)?.[1];
  shown.replaceWith(next);
  for (const [is, left] of scrolled) is.scrollLeft = left;
  focused?.focus({ preventScroll: true });
}

const LIVE = `subscription($id: ID!) {
  outreachChanged(policyId: $id) { audience reached acknowledged reachRate acknowledgeRate willApply applied }
}`;

/** The funnel's figures, as the service pushed them. */
function liveFunnel(figures) {
  const funnelList = document.getElementById('funnel');
  if (!funnelList || !figures) return;
  for (const key of ['audience', 'reached', 'acknowledged', 'willApply', 'applied']) {
    const el = funnelList.querySelector(`[data-figure="${key}"]`);
    if (el) el.textContent = number(figures[key]);
  }
  for (const key of ['reachRate', 'acknowledgeRate']) {
    const el = funnelList.querySelector(`[data-figure="${key}"]`);
    if (el) {
      el.dataset.value = figures[key];
      el.textContent = `${t(key)} ${percent(figures[key])}`;
    }
  }
  const badge = document.getElementById('live');
  if (badge) badge.hidden = false;
}

/** Edit, publish and retire, for the lead issuer and ADMIN; each change confirmed first. A
 *  published policy may have a newer draft version waiting: that is what publishing publishes. */
async function actions(p, viewer, go) {
  const leads = viewer.role === 'ADMIN' || (viewer.department && p.issuers[0]?.code === viewer.department.code);
  if (!leads) return '';
  const versions = (await gql('query($id: ID!) { policy(id: $id) { versions { version status } } }', { id: p.id })).policy.versions;
  const out = h('p', { role: 'status', class: 'muted' });
  const run = async (mutation, variables) => {
    try {
      await gql(mutation, variables);
      go(`/policy/${p.id}`);
    } catch (error) {
      fill(out, h('span', { class: 'error', role: 'alert' }, error.message));
    }
  };
  const draft = versions.some((v) => v.status === 'DRAFT');
  return h('div', { class: 'actions' },
    h('a', { class: 'button', href: `#/policy/${p.id}/edit`, id: 'edit' }, t(draft ? 'editDraft' : 'newVersion')),
    h('button', {
      type: 'button', id: 'publish', hidden: !draft,
      onclick: () => confirmThen(t('confirmPublish'), null, () => run('mutation($id: ID!) { publishPolicy(id: $id) { id } }', { id: p.id })),
    }, t('publish')),
    h('button', {
      type: 'button', id: 'retire', class: 'danger', hidden: p.status !== 'PUBLISHED',
      onclick: () => confirmThen(t('confirmRetire'), t('retireReason'), (reason) => run('mutation($id: ID!, $r: String) { retirePolicy(id: $id, reason: $r) { id } }', { id: p.id, r: reason || null })),
    }, t('retire')),
    out);
}

/** A modal dialog asking to confirm (with a reason when `ask` names one). */
function confirmThen(question, ask, then) {
  const reason = ask ? h('input', { id: 'confirm-reason', maxlength: 500 }) : null;
  const dialog = h('dialog', { class: 'confirm', 'aria-labelledby': 'confirm-q' },
    h('form', { method: 'dialog' },
      h('p', { id: 'confirm-q' }, question),
      reason ? h('p', {}, h('label', { for: 'confirm-reason' }, ask), ' ', reason) : '',
      h('p', { class: 'tools' },
        h('button', { value: 'yes', id: 'confirm-yes' }, t('confirm')),
        h('button', { value: 'no', class: 'secondary', id: 'confirm-no' }, t('cancel')))));
  dialog.addEventListener('close', () => {
    const yes = dialog.returnValue === 'yes';
    dialog.remove();
    if (yes) then(reason?.value.trim());
  });
  document.body.append(dialog);
  dialog.showModal();
}

/** Every version and the audit trail (issuers and ADMIN). */
async function history(id) {
  let data;
  try {
    data = (await gql(HISTORY, { id })).policy;
  } catch {
    return '';
  }
  return section('history',
    table(['version', 'status', 'publishedAt', 'createdAt'], data.versions.map((v) => [
      String(v.version), t(v.status), v.publishedAt ? dateTime(v.publishedAt) : '—', dateTime(v.createdAt)]), 'versions'),
    h('h3', {}, t('audit')),
    h('ol', { class: 'audit', id: 'audit' }, data.audit.map((a) => h('li', {},
      h('strong', {}, t(a.action)), ` · ${t('version')} ${a.version} · ${dateTime(a.at)} · ${t(a.actorRole)} ${a.actorDepartment ?? ''} (${a.actorSubject})`,
      a.action === 'UPDATE' ? h('ul', {}, Object.entries(a.changes ?? {}).map(([field, change]) => h('li', {},
        h('code', {}, field), `: ${short(change?.from)} → ${short(change?.to)}`))) : ''))));
}

function short(value) {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text === undefined ? '—' : text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

function section(key, ...children) {
  return h('section', { class: 'panel', 'aria-labelledby': `h-${key}`, id: `s-${key}` },
    h('h2', { id: `h-${key}` }, t(key)), children);
}

function table(columns, rows, id) {
  return h('div', { class: 'scroll' }, h('table', { class: 'figures', id },
    h('thead', {}, h('tr', {}, columns.map((c, i) => h('th', { scope: 'col', class: i ? 'num' : '' }, t(c))))),
    h('tbody', {}, rows.length ? rows.map((row) => h('tr', {}, row.map((cell, i) => (i
      ? h('td', { class: 'num' }, typeof cell === 'number' ? number(cell) : cell)
      : h('th', { scope: 'row' }, cell))))) : h('tr', {}, h('td', { colspan: columns.length }, t('none'))))));
}

function funnel(o) {
  const responses = Object.fromEntries(o.responses.map((r) => [r.response, r.firms]));
  const steps = [
    ['audience', o.audience],
    ['reached', o.reached, o.reachRate, 'reachRate'],
    ['acknowledged', o.acknowledged, o.acknowledgeRate, 'acknowledgeRate'],
    ['willApply', responses.WILL_APPLY ?? 0],
    ['applied', responses.APPLIED ?? 0],
  ];
  return section('funnel',
    h('p', { class: 'live', id: 'live', hidden: true, title: t('liveHelp') }, t('live')),
    h('ol', { class: 'funnel', id: 'funnel' }, steps.map(([key, value, rate, rateKey]) => h('li', {},
      h('span', { class: 'step' }, t(key)),
      h('strong', { 'data-figure': key }, number(value)),
      rate === undefined ? '' : h('span', { class: 'rate', 'data-figure': rateKey, 'data-value': rate }, `${t(rateKey)} ${percent(rate)}`)))),
    h('p', {}, `${t('medianHours')}: `, h('strong', { 'data-figure': 'medianHoursToAcknowledge' },
      o.medianHoursToAcknowledge === null ? t('none') : number(Math.round(o.medianHoursToAcknowledge * 10) / 10))),
  );
}

async function unreached(id) {
  const list = h('tbody', {});
  const total = h('span', { class: 'muted' });
  const more = h('button', { type: 'button', hidden: true }, t('more'));
  let stage = 'NOT_REACHED';
  let after = null;
  const load = async (reset) => {
    if (reset) { list.replaceChildren(); after = null; }
    const data = await gql(UNREACHED, { id, stage, after });
    const page = data.unreachedFirms;
    total.textContent = ` (${number(page.totalCount)})`;
    list.append(...page.nodes.map((f) => h('tr', {},
      h('td', {}, f.uscc), h('th', { scope: 'row' }, f.name), h('td', {}, f.region.name),
      h('td', {}, f.brokers.map((b) => b.name).join('、') || '—'))));
    after = page.pageInfo.endCursor;
    more.hidden = !page.pageInfo.hasNextPage;
  };
  more.addEventListener('click', () => load(false));
  const select = h('select', { id: 'stage', onchange: () => { stage = select.value; load(true); } },
    ['NOT_REACHED', 'NOT_ACKNOWLEDGED'].map((s) => h('option', { value: s }, t(s))));
  const csv = h('button', {
    type: 'button', id: 'unreached-csv',
    onclick: () => download(`/exports/policies/${id}/unreached.csv?stage=${stage}`, `unreached-${id}.csv`),
  }, t('downloadCsv'));
  await load(true);
  return section('unreached',
    h('p', { class: 'tools' }, h('label', { for: 'stage' }, t('stage')), ' ', select, total, ' ', csv),
    h('div', { class: 'scroll' }, h('table', { class: 'figures', id: 'unreached-table' },
      h('thead', {}, h('tr', {}, ['uscc', 'name', 'region', 'brokersOf'].map((c) => h('th', { scope: 'col' }, t(c))))),
      list)),
    more);
}

async function needs(id, range) {
  let term = null;
  let after = null;
  const entries = h('ul', { class: 'comments', id: 'comments' });
  const filter = h('p', { class: 'muted' });
  const more = h('button', { type: 'button', hidden: true }, t('more'));
  const data = await gql(NEEDS, { id, ...range });
  const n = data.needs;
  const showEntries = (page, reset) => {
    if (reset) entries.replaceChildren();
    entries.append(...page.nodes.map((e) => h('li', {},
      h('q', {}, e.comment),
      h('span', { class: 'muted' }, ` — ${e.firm.name} · ${t(e.response)} · ${t(e.channel)} · ${dateTime(e.createdAt)}`))));
    after = page.pageInfo.endCursor;
    more.hidden = !page.pageInfo.hasNextPage;
    filter.textContent = term ? `${t('filteredBy')}: ${term} (${number(page.totalCount)})` : `${t('allComments')} (${number(page.totalCount)})`;
  };
  const reload = async (reset) => {
    const next = await gql(NEEDS, { id, ...range, term, after: reset ? null : after });
    showEntries(next.needs.entries, reset);
  };
  more.addEventListener('click', () => reload(false));
  const terms = h('div', { class: 'terms', role: 'group', 'aria-label': t('term') },
    h('button', { type: 'button', class: 'term', 'aria-pressed': 'true', onclick: (e) => pick(e, null) }, t('allComments')),
    n.terms.map((x) => h('button', {
      type: 'button', class: 'term', 'aria-pressed': 'false', 'data-term': x.term,
      title: x.examples.join(' / '), onclick: (e) => pick(e, x.term),
    }, `${x.term} · ${number(x.firms)} (${percent(x.share)})`)));
  function pick(event, value) {
    term = value;
    for (const b of terms.querySelectorAll('button')) b.setAttribute('aria-pressed', String(b === event.currentTarget));
    reload(true);
  }
  showEntries(n.entries, true);
  return section('needs',
    h('p', {}, `${t('comments')}: `, h('strong', { 'data-figure': 'comments' }, number(n.comments)),
      ` · ${t('firms')}: `, h('strong', { 'data-figure': 'firms' }, number(n.firms))),
    table(['response', 'comments', 'firms'], n.byResponse.map((r) => [t(r.response), r.comments, r.firms]), 'needs-by-response'),
    terms, filter, entries, more);
}

function firmLookup(id) {
  const input = h('input', { id: 'lookup-uscc', name: 'uscc', required: true, maxlength: 18, autocomplete: 'off', spellcheck: 'false' });
  const out = h('div', { id: 'lookup-result', 'aria-live': 'polite' });
  const form = h('form', {
    class: 'lookup', onsubmit: async (event) => {
      event.preventDefault();
      fill(out, h('p', { class: 'muted' }, t('loading')));
      try {
        const data = await gql(DELIVERIES, { id, uscc: input.value.trim() });
        const found = data.deliveries.nodes;
        fill(out, found.length ? h('ol', { class: 'deliveries' }, found.map(delivery)) : h('p', {}, t('noDeliveries')));
      } catch (error) {
        fill(out, h('p', { class: 'error', role: 'alert' }, error.message));
      }
    },
  }, h('label', { for: 'lookup-uscc' }, t('uscc')), ' ', input, ' ', h('button', { type: 'submit' }, t('lookup')));
  return section('firmLookup', form, out);
}

function delivery(d) {
  const decision = d.decision;
  return h('li', {},
    h('p', {}, h('strong', {}, dateTime(d.deliveredAt)), ` · ${t(d.channel)} · ${t('actor')}: ${t(d.actorRole)}`,
      d.broker ? ` · ${t('broker')}: ${d.broker.name}` : '', ` · ${t('impressions')}: ${number(d.impressions)}`),
    decision ? h('details', {}, h('summary', {}, `${t('decision')}: ${t('version')} ${decision.policyVersion} · ${t(decision.outcome)} · ${decision.evaluatedOn}`),
      h('ul', { class: 'reasons' }, decision.reasons.map((r) => h('li', { class: `outcome-${r.outcome.toLowerCase()}` }, r.text))))
      : h('p', { class: 'muted' }, `${t('decision')}: ${t('none')}`));
}
