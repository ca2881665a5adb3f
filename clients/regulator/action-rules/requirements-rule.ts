import { describe } from './action-tracker.ts';
import { defineActionRule } from './define-rule.ts';
import { arr, isObj, obj, str, strings, tier, uint, type Obj } from './fields.ts';
import { readActivation } from './policy-document.ts';

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

/** Modality roles no weaker than the policy's default roles: no more primaries, no fewer needed, no more fallbacks. */
function rolesProblems(roles: Obj | undefined, floor: Obj | undefined): string[] {
  if (floor === undefined) return [];
  if (roles === undefined) return ["signature roles are missing where the policy's default sets them"];
  const out: string[] = [];
  const p = strings(roles, 'primary') ?? [], fp = strings(floor, 'primary') ?? [];
  if (!p.every((m) => fp.includes(m))) out.push(`signature roles make ${p.filter((m) => !fp.includes(m)).join(', ')} primary beyond the policy's ${fp.join(', ')}`);
  const n = uint(roles, 'minPrimary'), fn = uint(floor, 'minPrimary');
  if (n === undefined || (fn !== undefined && n < fn)) out.push(`signature roles need ${String(n)} primary modalities, below the policy's ${String(fn)}`);
  const f = strings(roles, 'onePrimary') ?? [], ff = strings(floor, 'onePrimary') ?? [];
  if (!f.every((x) => ff.includes(x))) out.push(`signature roles allow ${f.filter((x) => !ff.includes(x)).join(', ')} beyond the policy's fallbacks ${ff.join(', ') || '(none)'}`);
  return out;
}

/** What is wrong with the recorded requirements of a classification against its policy's floors. */
function problems(t: string, req: Obj, policy: Obj): string[] {
  const out: string[] = [];
  const defaults = obj(policy, 'defaults') ?? {};
  if (t === 'MEDIUM') {
    const cooling = uint(req, 'coolingMs');
    const floor = uint(defaults, 'coolingMs');
    if (cooling === undefined) out.push('no coolingMs');
    else if (floor !== undefined && cooling < floor) out.push(`coolingMs ${cooling} is below the policy's floor of ${floor}`);
  }
  if (t === 'HIGH' || t === 'CRITICAL') {
    const sig = obj(req, 'signature');
    const floor = obj(defaults, 'signature') ?? {};
    if (sig === undefined) out.push('no signature requirement');
    else {
      const sustained = uint(sig, 'sustainedMs');
      const min = uint(floor, 'sustainedMs');
      if (sustained === undefined || (min !== undefined && sustained < min)) out.push(`signature.sustainedMs ${String(sustained)} is below the policy's floor of ${String(min)}`);
      const mods = strings(sig, 'modalities');
      const allowed = strings(floor, 'modalities');
      if (mods === undefined || mods.length === 0) out.push('no accepted signature modality');
      else if (allowed !== undefined && !mods.every((m) => allowed.includes(m))) out.push(`signature modalities ${mods.join(', ')} go beyond the policy's ${allowed.join(', ')}`);
      out.push(...rolesProblems(obj(sig, 'roles'), obj(floor, 'roles')));
    }
  }
  if (t === 'CRITICAL') {
    const quorum = obj(req, 'quorum');
    const groups = obj(policy, 'groups') ?? {};
    if (quorum === undefined) out.push('no quorum requirement');
    else {
      for (const kind of ['allOf', 'comparators']) {
        const list = arr(quorum, kind);
        if (list === undefined || list.length === 0) {
          out.push(`quorum.${kind} is empty`);
          continue;
        }
        for (const c of list) {
          if (!isObj(c)) continue;
          const g = str(c, 'group');
          const members = strings(c, 'members');
          const declared = g === undefined ? undefined : strings(groups, g);
          if (g === undefined || members === undefined) out.push(`a quorum.${kind} clause is malformed`);
          else if (declared === undefined) out.push(`group '${g}' is not declared by the policy`);
          else if (!sameSet(members, declared)) out.push(`members of '${g}' (${members.join(', ')}) differ from the policy's (${declared.join(', ')})`);
        }
      }
    }
  }
  return out;
}

/**
 * action.requirements: what a classification recorded as required is at least what its policy
 * version demands of every action at that tier: MEDIUM cooling no shorter than the policy's
 * default, HIGH/CRITICAL signatures no weaker than the default signature, CRITICAL quorum groups
 * with exactly the members the policy declares. (Rules can only tighten the defaults.)
 */
export const requirementsRule = defineActionRule('action.requirements', "recorded requirements are no weaker than the policy version's floors", (api) => {
  const policies = new Map<string, Obj>();
  return {
    entry(e) {
      if (e.value?.['type'] !== 'policy.activated') return;
      const a = readActivation(e.value);
      if (typeof a !== 'string' && !policies.has(a.hash)) policies.set(a.hash, a.document);
    },
    action(step) {
      const { seen } = step;
      if (seen.type !== 'action.classified' || seen.value['decision'] !== 'ALLOW') return;
      const t = tier(seen.value, 'tier');
      if (t === undefined) {
        api.fail(seen, `${describe(seen)}: action ${step.actionId} records no valid tier`);
        return;
      }
      const hash = str(seen.value, 'policyHash');
      const policy = hash === undefined ? undefined : policies.get(hash);
      if (policy === undefined) return; // policy.activation reports it
      const req = obj(seen.value, 'requirements');
      if (req === undefined) {
        api.fail(seen, `${describe(seen)}: action ${step.actionId} records no requirements`);
        return;
      }
      const p = problems(t, req, policy);
      if (p.length > 0) api.fail(seen, `${describe(seen)}: ${t} requirements of action ${step.actionId} fall short of its policy: ${p.join('; ')}`);
    },
  };
});
