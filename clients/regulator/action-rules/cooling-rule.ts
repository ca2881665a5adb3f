import { describe } from './action-tracker.ts';
import { defineActionRule } from './define-rule.ts';
import { obj, shown, tier, uint } from './fields.ts';

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * action.cooling (MEDIUM): the action waited in an action.cooling entry, was authorised no earlier
 * than the end of cooling (that entry's notBefore, or the latest action.cooling_extended's), and the
 * cooling period it was promised is at least the coolingMs the classification required. An
 * extension only moves the end later. (A veto during cooling is terminal: see action.finality.)
 */
export const coolingRule = defineActionRule('action.cooling', 'MEDIUM actions waited out the whole cooling period before authorisation', (api) => ({
  action(step) {
    const { seen, state } = step;
    if (seen.type === 'action.cooling_extended') {
      const end = state.coolingExtended ?? state.cooling;
      const before = end === undefined ? undefined : uint(end.value, 'notBefore');
      const after = uint(seen.value, 'notBefore');
      if (after === undefined) api.fail(seen, `${describe(seen)}: action ${step.actionId}'s cooling extension records no notBefore`);
      else if (before !== undefined && after < before) api.fail(seen, `${describe(seen)}: moves the end of cooling of action ${step.actionId} ${before - after} ms earlier (${iso(after)}, was ${iso(before)}); an extension only moves it later`);
      return;
    }
    if (seen.type !== 'action.authorised') return;
    const c = state.classified;
    if ((c ? tier(c.value, 'tier') : tier(seen.value, 'tier')) !== 'MEDIUM') return;
    const cooling = state.cooling;
    if (cooling === undefined) {
      if (c || api.historyExpected) api.fail(seen, `${describe(seen)}: MEDIUM action ${step.actionId} was authorised without an action.cooling entry`);
      else api.missing(step, `${describe(seen)}: the cooling entry of MEDIUM action ${step.actionId} is not in the bundle`);
      return;
    }
    const end = state.coolingExtended ?? cooling;
    const notBefore = uint(end.value, 'notBefore');
    const ts = uint(seen.value, 'ts');
    if (notBefore === undefined) {
      api.fail(seen, `${describe(seen)}: the cooling entry ${end.index} of action ${step.actionId} records no notBefore`);
      return;
    }
    if (ts === undefined) api.fail(seen, `${describe(seen)} records no time (ts): the end of cooling cannot be checked`);
    else if (ts < notBefore) {
      api.fail(seen, `${describe(seen)}: authorised at ${iso(ts)}, ${notBefore - ts} ms before the cooling period of entry ${end.index} ended (${iso(notBefore)})`);
    }
    const promised = seen.value['notBefore'];
    if (promised !== undefined && promised !== notBefore) api.fail(seen, `${describe(seen)}: notBefore ${shown(promised)} differs from ${notBefore} of the cooling entry ${end.index}`);
    if (c === undefined) return;
    const required = uint(obj(c.value, 'requirements') ?? {}, 'coolingMs');
    const start = uint(cooling.value, 'ts');
    if (required === undefined) api.fail(seen, `${describe(seen)}: the classification (entry ${c.index}) of MEDIUM action ${step.actionId} records no requirements.coolingMs`);
    else if (start === undefined) api.fail(seen, `${describe(seen)}: the cooling entry ${cooling.index} records no time (ts)`);
    else if (notBefore - start < required) {
      api.fail(seen, `${describe(seen)}: cooling of ${notBefore - start} ms (entry ${cooling.index}) is shorter than the ${required} ms the classification required`);
    }
  },
}));
