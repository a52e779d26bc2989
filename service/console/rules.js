// The rule language as the builder offers it (README "Eligibility rules"): each fact with the
// operators it allows and the kind of value it takes.

export const FACTS = {
  'firm.region': { ops: ['within', 'in'], kind: 'codes' },
  'firm.size': { ops: ['eq', 'in'], kind: 'enum', values: ['MICRO', 'SMALL', 'MEDIUM', 'LARGE'] },
  'firm.industry': { ops: ['eq', 'in', 'prefix'], kind: 'codes' },
  'firm.customsCredit': { ops: ['eq', 'in'], kind: 'enum', values: ['ADVANCED_CERTIFIED', 'GENERAL_CERTIFIED', 'GENERAL', 'DISHONEST'] },
  'firm.exportValuePrevYearUsd': { ops: ['lt', 'lte', 'gt', 'gte', 'eq', 'between'], kind: 'number' },
  'firm.importValuePrevYearUsd': { ops: ['lt', 'lte', 'gt', 'gte', 'eq', 'between'], kind: 'number' },
  'firm.foreignInvested': { ops: ['eq'], kind: 'boolean' },
  'firm.registeredOn': { ops: ['lt', 'lte', 'gt', 'gte', 'between'], kind: 'date' },
  'declaration.direction': { ops: ['eq'], kind: 'enum', values: ['EXPORT', 'IMPORT'] },
  'declaration.tradeMode': { ops: ['eq', 'in'], kind: 'codes' },
  'declaration.port': { ops: ['eq', 'in'], kind: 'codes' },
  'declaration.country': { ops: ['eq', 'in'], kind: 'codes' },
  'declaration.hsCode': { ops: ['prefix', 'in'], kind: 'codes' },
  'declaration.valueUsd': { ops: ['lt', 'lte', 'gt', 'gte', 'eq', 'between'], kind: 'number' },
};

/** Whether `op` takes a list (`in`, `between`, and `prefix` with several codes). */
export function listOp(op) {
  return op === 'in' || op === 'between';
}

/** The value typed in a condition's field, as the rule stores it. */
export function parseValue(fact, op, text) {
  const spec = FACTS[fact];
  const one = (part) => {
    const v = part.trim();
    if (spec?.kind === 'number') return v === '' || Number.isNaN(Number(v)) ? v : Number(v);
    if (spec?.kind === 'boolean') return v === 'true' ? true : v === 'false' ? false : v;
    return v;
  };
  const parts = text.split(/[,，、\s]+/).filter((p) => p !== '');
  if (listOp(op) || (op === 'prefix' && parts.length > 1)) return parts.map(one);
  return one(text);
}

/** The stored value as text in the condition's field. */
export function valueText(value) {
  if (Array.isArray(value)) return value.join(', ');
  return value === undefined || value === null ? '' : String(value);
}
