import { tierRank } from '../tier.ts';
import { parseFieldExpression, type FieldExpression } from './field-expression.ts';
import { compileMatch, type CompiledMatch } from './matcher.ts';
import { compilePathPattern, type PathPattern } from './path-pattern.ts';
import { RuleIndex } from './rule-index.ts';
import type { PolicyDocument, PolicyRule, ProxyRoute, VelocityRule } from './types.ts';

/** Everything classification and proxy mapping need, built once at load so the hot path only looks things up. */
export interface CompiledRule {
  rule: PolicyRule;
  order: number;
  rank: number;
  match: CompiledMatch;
}

export interface CompiledVelocity {
  rule: VelocityRule;
  order: number;
  agents: ReadonlySet<string> | undefined;
}

export interface CompiledRoute {
  route: ProxyRoute;
  pattern: PathPattern;
  target: FieldExpression;
  amount: FieldExpression | undefined;
  currency: FieldExpression | undefined;
  parameters: [string, FieldExpression][] | undefined;
}

export interface CompiledPolicy {
  rules: RuleIndex<CompiledRule>;
  velocity: RuleIndex<CompiledVelocity>;
  routes: ReadonlyMap<string, readonly CompiledRoute[]>;
}

/** Assumes the semantic checks passed (patterns and expressions compile). */
export function compilePolicy(doc: PolicyDocument): CompiledPolicy {
  const rules = new RuleIndex<CompiledRule>(
    doc.rules.map((rule, order) => ({
      item: { rule, order, rank: tierRank(rule.tier), match: compileMatch(rule.match) },
      actuator: rule.match.actuator,
      operations: rule.match.operations,
    })),
  );
  const velocity = new RuleIndex<CompiledVelocity>(
    doc.velocity.map((rule, order) => ({
      item: { rule, order, agents: rule.match.agents === undefined ? undefined : new Set(rule.match.agents) },
      actuator: rule.match.actuator,
      operations: rule.match.operations,
    })),
  );
  const routes = new Map<string, CompiledRoute[]>();
  for (const [name, a] of Object.entries(doc.actuators)) {
    routes.set(
      name,
      a.proxy.map((route) => ({
        route,
        pattern: compilePathPattern(route.path),
        target: parseFieldExpression(route.target),
        amount: route.amount === undefined ? undefined : parseFieldExpression(route.amount),
        currency: route.currency === undefined ? undefined : parseFieldExpression(route.currency),
        parameters: route.parameters === undefined ? undefined : Object.entries(route.parameters).map(([k, v]) => [k, parseFieldExpression(v)] as [string, FieldExpression]),
      })),
    );
  }
  return { rules, velocity, routes };
}
