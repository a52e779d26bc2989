// The overview: every policy the department issued or co-issued, with its reach over a date range,
// sortable by any column (`departmentOutreach`).

import { gql } from './api.js';
import { h, fill } from './dom.js';
import { number, percent, t } from './i18n.js';

const OVERVIEW = `query($d: String, $from: Date, $to: Date) {
  departmentOutreach(department: $d, from: $from, to: $to) {
    department { code name }
    policies { policy { id code title status } audience reached acknowledged reachRate
               acknowledgeRate willApply applied }
    totals { policies reachedFirms acknowledgedFirms }
  }
}`;

const COLUMNS = [
  ['policy', (r) => r.policy.code, 'text'],
  ['status', (r) => r.policy.status, 'text'],
  ['audience', (r) => r.audience, 'number'],
  ['reached', (r) => r.reached, 'number'],
  ['acknowledged', (r) => r.acknowledged, 'number'],
  ['reachRate', (r) => r.reachRate, 'rate'],
  ['acknowledgeRate', (r) => r.acknowledgeRate, 'rate'],
  ['willApply', (r) => r.willApply, 'number'],
  ['applied', (r) => r.applied, 'number'],
];

/** Renders the overview into `view` for `route` ({ params }) and the signed-in `viewer`. */
export async function overview(view, route, viewer, go) {
  const params = route.params;
  const department = viewer.department?.code ?? params.get('d') ?? '';
  const form = rangeForm(params, (next) => go('/', next));
  const heading = h('h1', {}, t('overview'));
  fill(view, heading, form, h('p', { class: 'muted' }, t('loading')));
  if (!department) {
    view.append(await departmentPicker(params, go));
    view.querySelector('.muted')?.remove();
    return;
  }
  if (!viewer.department) form.prepend(await departmentPicker(params, go));
  const data = await gql(OVERVIEW, {
    d: department,
    from: params.get('from') || null,
    to: params.get('to') || null,
  });
  const o = data.departmentOutreach;
  heading.textContent = `${t('overview')} · ${o.department.name}`;
  const sort = { key: params.get('sort') ?? '', dir: params.get('dir') === 'asc' ? 'asc' : 'desc' };
  const table = h('table', { class: 'figures', id: 'overview' });
  const draw = () => fill(table, head(sort, (key) => {
    sort.dir = sort.key === key && sort.dir === 'desc' ? 'asc' : 'desc';
    sort.key = key;
    const next = new URLSearchParams(params);
    next.set('sort', sort.key);
    next.set('dir', sort.dir);
    history.replaceState(null, '', `#/?${next}`);
    draw();
    table.querySelector(`th[data-key="${key}"] button`)?.focus();
  }), body(sorted(o.policies, sort), params));
  draw();
  const totals = h('dl', { class: 'totals', id: 'totals' },
    h('div', {}, h('dt', {}, t('totals')), h('dd', { 'data-figure': 'policies' }, `${number(o.totals.policies)} ${t('policies')}`)),
    h('div', {}, h('dt', {}, t('reachedFirms')), h('dd', { 'data-figure': 'reachedFirms' }, number(o.totals.reachedFirms))),
    h('div', {}, h('dt', {}, t('acknowledgedFirms')), h('dd', { 'data-figure': 'acknowledgedFirms' }, number(o.totals.acknowledgedFirms))),
  );
  view.querySelector('.muted')?.remove();
  if (viewer.role === 'DEPARTMENT' || viewer.role === 'ADMIN') {
    view.append(h('p', {}, h('a', { class: 'button', href: '#/new', id: 'new-policy' }, t('newPolicy'))));
  }
  view.append(totals, o.policies.length ? h('div', { class: 'scroll' }, table) : h('p', {}, t('noPolicies')));
}

function sorted(rows, sort) {
  const column = COLUMNS.find(([key]) => key === sort.key);
  if (!column) return rows;
  const [, value] = column;
  const sign = sort.dir === 'asc' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const [x, y] = [value(a), value(b)];
    return sign * (typeof x === 'number' ? x - y : String(x).localeCompare(String(y)));
  });
}

function head(sort, onSort) {
  return h('thead', {}, h('tr', {}, COLUMNS.map(([key, , kind]) => {
    const active = sort.key === key;
    return h('th', {
      scope: 'col', 'data-key': key, class: kind === 'text' ? '' : 'num',
      'aria-sort': active ? (sort.dir === 'asc' ? 'ascending' : 'descending') : 'none',
    }, h('button', { type: 'button', class: 'sort', onclick: () => onSort(key), title: `${t('sortBy')} ${t(key)}` },
      t(key), active ? (sort.dir === 'asc' ? ' ▲' : ' ▼') : ''));
  })));
}

function body(rows, params) {
  const keep = new URLSearchParams();
  for (const key of ['from', 'to', 'd']) if (params.get(key)) keep.set(key, params.get(key));
  return h('tbody', {}, rows.map((r) => h('tr', { 'data-policy': r.policy.id },
    h('th', { scope: 'row' }, h('a', { href: `#/policy/${r.policy.id}?${keep}` },
      h('span', { class: 'code' }, r.policy.code), ' ', r.policy.title)),
    h('td', { 'data-label': t('status') }, h('span', { class: `status ${r.policy.status.toLowerCase()}` }, t(r.policy.status))),
    h('td', { class: 'num', 'data-label': t('audience'), 'data-figure': 'audience' }, number(r.audience)),
    h('td', { class: 'num', 'data-label': t('reached'), 'data-figure': 'reached' }, number(r.reached)),
    h('td', { class: 'num', 'data-label': t('acknowledged'), 'data-figure': 'acknowledged' }, number(r.acknowledged)),
    h('td', { class: 'num', 'data-label': t('reachRate'), 'data-figure': 'reachRate', 'data-value': r.reachRate }, percent(r.reachRate)),
    h('td', { class: 'num', 'data-label': t('acknowledgeRate'), 'data-figure': 'acknowledgeRate', 'data-value': r.acknowledgeRate }, percent(r.acknowledgeRate)),
    h('td', { class: 'num', 'data-label': t('willApply'), 'data-figure': 'willApply' }, number(r.willApply)),
    h('td', { class: 'num', 'data-label': t('applied'), 'data-figure': 'applied' }, number(r.applied)),
  )));
}

/** From/to inputs that navigate to `onApply(params)`. */
export function rangeForm(params, onApply) {
  const from = h('input', { type: 'date', id: 'from', name: 'from', value: params.get('from') ?? '' });
  const to = h('input', { type: 'date', id: 'to', name: 'to', value: params.get('to') ?? '' });
  return h('form', {
    class: 'range', onsubmit: (event) => {
      event.preventDefault();
      const next = new URLSearchParams(params);
      for (const [key, input] of [['from', from], ['to', to]]) {
        if (input.value) next.set(key, input.value); else next.delete(key);
      }
      onApply(next);
    },
  },
  h('label', { for: 'from' }, t('from')), from,
  h('label', { for: 'to' }, t('to')), to,
  h('button', { type: 'submit' }, t('apply')));
}

/** SYSTEM and ADMIN choose the department they read. */
async function departmentPicker(params, go) {
  const data = await gql('{ departments { code name } }');
  const select = h('select', {
    id: 'department', onchange: () => {
      const next = new URLSearchParams(params);
      next.set('d', select.value);
      go('/', next);
    },
  }, h('option', { value: '' }, t('pickDepartment')),
  data.departments.map((d) => h('option', { value: d.code, selected: d.code === params.get('d') }, `${d.name} (${d.code})`)));
  return h('p', { class: 'picker' }, h('label', { for: 'department' }, t('department')), ' ', select);
}
