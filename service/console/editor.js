// Creating and editing a draft: the policy's fields, the eligibility rule built from the rule
// language's facts and operators in all/any/not groups, the audience estimate updated as the
// rule changes, and every problem the service names shown at its field.

import { ApiError, gql } from './api.js';
import { h, fill } from './dom.js';
import { number, t } from './i18n.js';
import { FACTS, parseValue, valueText } from './rules.js';

const LOAD = `query($id: ID!, $version: Int) {
  policy(id: $id, version: $version) { id code version versionStatus status titleZh titleEn
    summaryZh summaryEn bodyZh bodyEn benefitKind effectiveFrom effectiveTo applyDeadline applyUrl
    autoEnjoy sourceUrl eligibility regions { code } issuers { code } documents { title url kind lang }
    versions { version status } }
}`;

const ESTIMATE = `query($rule: JSON!, $regions: [String!]) {
  audienceEstimate(eligibility: $rule, regions: $regions) { firms activeLast30Days reachableViaBroker }
}`;

const BENEFITS = ['TAX', 'FEE_REDUCTION', 'CREDIT', 'INSURANCE', 'SUBSIDY', 'FACILITATION', 'OTHER'];

/** `#/new` (id undefined) or `#/policy/ID/edit`. */
export async function editor(view, id, viewer, go) {
  let policy = null;
  if (id) {
    const first = (await gql(LOAD, { id })).policy;
    const draft = first.versions.find((v) => v.status === 'DRAFT');
    policy = draft && draft.version !== first.version
      ? (await gql(LOAD, { id, version: draft.version })).policy
      : first;
  }
  const rule = policy?.eligibility ?? { all: [] };
  const field = (name, props = {}) => h('input', {
    id: `f-${name}`, name, 'data-path': name, value: policy?.[name] ?? '', ...props,
  });
  const inputs = {
    code: field('code', { maxlength: 64, placeholder: 'SZ-EXPORT-2027', disabled: Boolean(policy) }),
    titleZh: field('titleZh', { required: true, maxlength: 200 }),
    titleEn: field('titleEn', { maxlength: 200 }),
    summaryZh: h('textarea', { id: 'f-summaryZh', name: 'summaryZh', 'data-path': 'summaryZh', rows: 3, required: true }, policy?.summaryZh ?? ''),
    summaryEn: h('textarea', { id: 'f-summaryEn', name: 'summaryEn', 'data-path': 'summaryEn', rows: 3 }, policy?.summaryEn ?? ''),
    benefitKind: h('select', { id: 'f-benefitKind', name: 'benefitKind', 'data-path': 'benefitKind' },
      BENEFITS.map((b) => h('option', { value: b, selected: policy?.benefitKind === b }, t(b)))),
    regions: field('regions', { value: policy?.regions.map((r) => r.code).join(', ') ?? '', placeholder: '440300, 440100' }),
    coIssuers: field('coIssuers', { value: policy?.issuers.slice(1).map((d) => d.code).join(', ') ?? '' }),
    effectiveFrom: field('effectiveFrom', { type: 'date', required: true }),
    effectiveTo: field('effectiveTo', { type: 'date' }),
    applyDeadline: field('applyDeadline', { type: 'date' }),
    applyUrl: field('applyUrl', { type: 'url', placeholder: 'https://' }),
    sourceUrl: field('sourceUrl', { type: 'url', placeholder: 'https://' }),
    bodyZh: h('textarea', { id: 'f-bodyZh', name: 'bodyZh', 'data-path': 'bodyZh', rows: 6 }, policy?.bodyZh ?? ''),
    bodyEn: h('textarea', { id: 'f-bodyEn', name: 'bodyEn', 'data-path': 'bodyEn', rows: 6 }, policy?.bodyEn ?? ''),
    autoEnjoy: h('input', { id: 'f-autoEnjoy', name: 'autoEnjoy', 'data-path': 'autoEnjoy', type: 'checkbox', checked: Boolean(policy?.autoEnjoy) }),
  };
  const builder = h('div', { class: 'rule', id: 'rule' });
  const estimate = h('p', { class: 'estimate', id: 'estimate', 'aria-live': 'polite' });
  const status = h('p', { role: 'status', class: 'muted' });
  let root = rule;
  let timer = null;
  const changed = () => {
    clearTimeout(timer);
    timer = setTimeout(() => estimateNow(), 350);
  };
  const draw = () => {
    fill(builder, node(root, 'eligibility', (next) => { root = next; draw(); changed(); }, changed));
  };
  const regions = () => inputs.regions.value.split(/[,，、\s]+/).filter(Boolean);
  async function estimateNow() {
    clearProblems(view, 'eligibility');
    clearProblems(view, 'regions');
    try {
      const e = (await gql(ESTIMATE, { rule: root, regions: regions() })).audienceEstimate;
      fill(estimate, `${t('audience')}: `, h('strong', { 'data-figure': 'firms' }, number(e.firms)),
        ` · ${t('activeLast30Days')}: ${number(e.activeLast30Days)} · ${t('reachableViaBroker')}: ${number(e.reachableViaBroker)}`);
    } catch (error) {
      fill(estimate, t('estimateBlocked'));
      if (error instanceof ApiError) showProblems(view, error.problems, '');
      else throw error;
    }
  }
  inputs.regions.addEventListener('input', changed);

  const save = async (event) => {
    event.preventDefault();
    clearProblems(view, '');
    const input = {
      titleZh: inputs.titleZh.value, titleEn: inputs.titleEn.value || null,
      summaryZh: inputs.summaryZh.value, summaryEn: inputs.summaryEn.value || null,
      benefitKind: inputs.benefitKind.value, regions: regions(),
      coIssuers: inputs.coIssuers.value.split(/[,，、\s]+/).filter(Boolean),
      effectiveFrom: inputs.effectiveFrom.value, effectiveTo: inputs.effectiveTo.value || null,
      applyDeadline: inputs.applyDeadline.value || null, applyUrl: inputs.applyUrl.value || null,
      sourceUrl: inputs.sourceUrl.value || null, bodyZh: inputs.bodyZh.value || null,
      bodyEn: inputs.bodyEn.value || null, autoEnjoy: inputs.autoEnjoy.checked, eligibility: root,
      // An edit replaces the whole content: the documents go back as they came.
      documents: (policy?.documents ?? []).map(({ title, url, kind, lang: language }) => ({ title, url, kind, lang: language })),
    };
    if (!policy && inputs.code.value) input.code = inputs.code.value;
    try {
      const saved = policy
        ? (await gql('mutation($id: ID!, $i: PolicyInput!) { updatePolicy(id: $id, input: $i) { id } }', { id, i: input })).updatePolicy
        : (await gql('mutation($i: PolicyInput!) { createPolicy(input: $i) { id } }', { i: input })).createPolicy;
      go(`/policy/${saved.id}`);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      fill(status, h('span', { class: 'error', role: 'alert' }, error.message));
      showProblems(view, error.problems, 'input.');
    }
  };
  const row = (name, control) => h('div', { class: 'field' },
    h('label', { for: control.id }, t(name)), control, h('span', { class: 'problem', id: `p-${name}`, 'data-for': name }));
  fill(view,
    h('p', {}, h('a', { href: id ? `#/policy/${id}` : '#/' }, `← ${t(id ? 'back' : 'overview')}`)),
    h('h1', {}, policy ? `${t('editDraft')} · ${policy.code}` : t('newPolicy')),
    h('form', { class: 'editor', id: 'editor', novalidate: true, onsubmit: save },
      Object.entries(inputs).map(([name, control]) => row(name, control)),
      h('fieldset', { class: 'rule-set' }, h('legend', {}, t('eligibility')),
        h('span', { class: 'problem', 'data-for': 'eligibility' }), builder, estimate),
      status,
      h('p', {}, h('button', { type: 'submit', id: 'save' }, t('saveDraft')))));
  draw();
  estimateNow();
}

/** One node of the rule: a group (all, any, not) or a condition, with its controls. */
function node(rule, path, replace, changed) {
  const kind = ['all', 'any', 'not'].find((k) => k in rule);
  if (!kind) return condition(rule, path, replace, changed);
  const children = kind === 'not' ? [rule.not] : rule[kind];
  const childPath = (i) => (kind === 'not' ? `${path}.not` : `${path}.${kind}[${i}]`);
  const kindSelect = h('select', {
    'aria-label': t('group'), 'data-path': path, onchange: () => {
      const next = kindSelect.value;
      if (next === 'not') replace({ not: children[0] ?? { all: [] } });
      else replace({ [next]: kind === 'not' ? [rule.not] : children });
    },
  }, ['all', 'any', 'not'].map((k) => h('option', { value: k, selected: k === kind }, t(`group_${k}`))));
  const list = h('ol', { class: 'children' }, children.map((child, i) => h('li', {},
    node(child, childPath(i), (next) => {
      if (kind === 'not') replace({ not: next });
      else { const copy = [...children]; copy[i] = next; replace({ [kind]: copy }); }
    }, changed),
    kind === 'not' ? '' : h('button', {
      type: 'button', class: 'link remove', 'aria-label': `${t('remove')} ${i + 1}`,
      onclick: () => replace({ [kind]: children.filter((_, j) => j !== i) }),
    }, t('remove')))));
  const add = (child) => replace({ [kind]: [...children, child] });
  return h('div', { class: `group group-${kind}` },
    h('div', { class: 'group-head' }, kindSelect, h('span', { class: 'problem', 'data-for': path })),
    list,
    kind === 'not' ? '' : h('p', { class: 'tools' },
      h('button', { type: 'button', class: 'add-condition', onclick: () => add({ fact: 'firm.exportValuePrevYearUsd', op: 'lt', value: 8000000 }) }, t('addCondition')),
      h('button', { type: 'button', class: 'add-group', onclick: () => add({ any: [] }) }, t('addGroup'))));
}

function condition(rule, path, replace, changed) {
  const facts = Object.keys(FACTS);
  const fact = h('select', { 'aria-label': t('fact'), 'data-path': `${path}.fact`, class: 'fact' },
    facts.map((f) => h('option', { value: f, selected: f === rule.fact }, t(f))));
  if (!facts.includes(rule.fact)) fact.prepend(h('option', { value: rule.fact, selected: true }, String(rule.fact)));
  const spec = FACTS[rule.fact] ?? { ops: [rule.op], kind: 'text' };
  const op = h('select', { 'aria-label': t('operator'), 'data-path': `${path}.op`, class: 'op' },
    spec.ops.map((o) => h('option', { value: o, selected: o === rule.op }, t(`op.${o}`))));
  if (!spec.ops.includes(rule.op)) op.prepend(h('option', { value: rule.op, selected: true }, String(rule.op)));
  const value = spec.kind === 'boolean'
    ? h('select', { 'aria-label': t('value'), 'data-path': `${path}.value`, class: 'value' },
      ['true', 'false'].map((v) => h('option', { value: v, selected: String(rule.value) === v }, v)))
    : h('input', {
      'aria-label': t('value'), 'data-path': `${path}.value`, class: 'value', value: valueText(rule.value),
      placeholder: spec.kind === 'enum' ? spec.values.join(', ') : '', spellcheck: 'false',
    });
  const update = () => {
    const next = { fact: fact.value, op: op.value, value: parseValue(fact.value, op.value, value.value) };
    if (next.fact !== rule.fact) {
      const nextSpec = FACTS[next.fact];
      next.op = nextSpec.ops.includes(next.op) ? next.op : nextSpec.ops[0];
      replace(next);
    } else {
      Object.assign(rule, next);
      changed();
    }
  };
  fact.addEventListener('change', update);
  op.addEventListener('change', update);
  value.addEventListener(value.tagName === 'SELECT' ? 'change' : 'input', update);
  return h('div', { class: 'condition' }, fact, op, value, h('span', { class: 'problem', 'data-for': path }));
}

function clearProblems(view, prefix) {
  for (const el of view.querySelectorAll('.problem')) {
    if (el.dataset.for.startsWith(prefix)) el.textContent = '';
  }
  for (const el of view.querySelectorAll('[aria-invalid]')) {
    if ((el.dataset.path ?? '').startsWith(prefix)) el.removeAttribute('aria-invalid');
  }
}

/** Shows each problem beside the control its field names (`input.` taken off), or the
 *  nearest enclosing one: `eligibility.all[1].value`, then `eligibility.all[1]`, … */
function showProblems(view, problems, strip) {
  let first = null;
  for (const problem of problems) {
    let path = (problem.field ?? '').replace(strip, '');
    while (path) {
      const control = view.querySelector(`[data-path="${CSS.escape(path)}"]`);
      const slot = view.querySelector(`.problem[data-for="${CSS.escape(path)}"]`);
      if (control || slot) {
        if (control) control.setAttribute('aria-invalid', 'true');
        const target = slot ?? control.parentElement.querySelector('.problem');
        if (target) target.textContent = [target.textContent, problem.message].filter(Boolean).join('；');
        first ??= control;
        break;
      }
      path = path.replace(/(\.[^.[\]]+|\[\d+\])$/, '');
    }
  }
  first?.focus();
}
