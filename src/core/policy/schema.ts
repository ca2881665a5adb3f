import type { Reversibility } from '../action/descriptor.ts';
import type { Tier } from '../tier.ts';
import { MCP_TOOL_PATTERN } from '../mcp/tool-name.ts';
import { DURATION_PATTERN } from './duration.ts';
import { MODALITIES, type Modality } from './modality.ts';

/**
 * The policy file as written (snake_case, durations as strings, scalars-or-lists), and its JSON
 * Schema. Every object is closed: an unknown field is an error, never ignored, because a misspelt
 * `quroum:` silently dropped is a policy weaker than its author believes.
 */

export type OneOrMany<T> = T | T[];

export interface RawSignature {
  window?: string;
  sustained?: string;
  modalities?: 'any' | Modality[];
  max_attempts?: number;
  roles?: { primary?: 'any' | Modality[]; min_primary?: number; one_primary?: ('supporting' | 'longer' | 'witness')[] };
}

export interface RawQuorum {
  all_of: { group: string; min: number }[];
  distinct_organisations?: boolean;
  window: string;
  comparator: { group: string; min?: number; biological?: boolean };
  allow_witness?: boolean;
}

export interface RawAmountMatch {
  currency?: string;
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
}

export interface RawMatch {
  actuator?: string;
  operation?: OneOrMany<string>;
  path?: string;
  agent?: OneOrMany<string>;
  reversibility?: OneOrMany<Reversibility>;
  amount?: RawAmountMatch;
}

export interface RawRule {
  id: string;
  match: RawMatch;
  tier: Tier;
  reason?: string;
  cooling?: string;
  signature?: RawSignature;
  quorum?: RawQuorum;
}

export interface RawVelocity {
  id: string;
  match: { actuator: string; operation: OneOrMany<string>; agent?: OneOrMany<string> };
  per: 'agent' | 'agent_target' | 'owner' | 'organisation' | 'target' | 'global';
  window: string;
  max_amount?: Record<string, number>;
  max_count?: number;
  escalate_to: Exclude<Tier, 'LOW'>;
}

export interface RawRoute {
  method: string;
  path: string;
  operation: string;
  target: string | number;
  amount?: string | number;
  currency?: string;
  reversibility: Reversibility;
  parameters?: Record<string, string | number | boolean>;
}

export interface RawActuator {
  upstream: string;
  operations?: string[];
  proxy?: RawRoute[];
}

/** One tool of an upstream MCP server mapped to descriptor fields (expressions read `arguments.…`). */
export interface RawMcpTool {
  name: string;
  operation?: string;
  target: string | number;
  amount?: string | number;
  currency?: string;
  reversibility: Reversibility;
  parameters?: Record<string, string | number | boolean>;
}

export interface RawMcpServer {
  url: string;
  /** How the gateway authenticates to the server: nothing, or a bearer token read from an environment variable. */
  auth?: { bearer_env: string };
  tools?: RawMcpTool[];
}

export interface RawPolicy {
  version: 1;
  name: string;
  defaults?: {
    unmatched_tier?: Exclude<Tier, 'LOW'>;
    cooling?: string;
    signature?: RawSignature;
    quorum?: RawQuorum;
  };
  groups?: Record<string, string[]>;
  organisations?: Record<string, string[]>;
  notify?: { vetoers?: string[]; webhooks?: { url: string; secret_env?: string }[] };
  actuators: Record<string, RawActuator>;
  mcp_servers?: Record<string, RawMcpServer>;
  rules?: RawRule[];
  velocity?: RawVelocity[];
}

// --- schema ------------------------------------------------------------------------------------

const ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';
const idHint = 'must be 1-64 characters of letters, digits, ".", "_" or "-", starting with a letter or digit (no ":" so ids never collide with "default:" or "velocity:" labels)';
const id = { type: 'string', pattern: ID_PATTERN, errorHint: idHint };
const idKey = { pattern: ID_PATTERN, errorHint: idHint };
const operation = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$', errorHint: 'must be an operation name: letters, digits, ".", "_", ":", "/" or "-"' };
const agent = { type: 'string', pattern: '^\\S{1,128}$', errorHint: 'must be an agent id: 1-128 characters, no whitespace' };
const duration = { type: 'string', pattern: DURATION_PATTERN, errorHint: "must be a duration such as '500ms', '30s', '10m', '2h' or '1d' (a whole number above zero and one unit)" };
const currency = { type: 'string', pattern: '^[A-Z]{3}$', errorHint: 'must be an ISO 4217 currency code in capitals, e.g. EUR' };
const reversibility = { enum: ['fully_reversible', 'partially_reversible', 'irreversible'] };
/** A scalar or a non-empty list of the same; `pattern` in `item` then checks the scalar form too. */
const oneOrMany = (item: object) => ({ ...item, type: ['string', 'array'], items: item, minItems: 1, uniqueItems: true });
const idList = { type: 'array', items: id, minItems: 1, uniqueItems: true };
const bound = { type: 'number', minimum: 0 };

/** `any`, or a non-empty list of modalities. */
const anyOrModalities = {
  type: ['string', 'array'],
  pattern: '^any$',
  errorHint: `must be 'any' or a list drawn from ${MODALITIES.join(', ')}`,
  items: { enum: [...MODALITIES] },
  minItems: 1,
  uniqueItems: true,
};

const signature = {
  type: 'object',
  additionalProperties: false,
  properties: {
    window: duration,
    sustained: duration,
    modalities: anyOrModalities,
    max_attempts: { type: 'integer', minimum: 1, maximum: 100 },
    roles: {
      type: 'object',
      additionalProperties: false,
      properties: {
        primary: anyOrModalities,
        min_primary: { type: 'integer', minimum: 1, maximum: MODALITIES.length },
        one_primary: { type: 'array', items: { enum: ['supporting', 'longer', 'witness'] }, uniqueItems: true },
      },
    },
  },
};

const quorum = {
  type: 'object',
  additionalProperties: false,
  required: ['all_of', 'window', 'comparator'],
  properties: {
    all_of: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['group', 'min'],
        properties: { group: id, min: { type: 'integer', minimum: 1 } },
      },
    },
    distinct_organisations: { type: 'boolean' },
    window: duration,
    comparator: {
      type: 'object',
      additionalProperties: false,
      required: ['group'],
      properties: { group: id, min: { type: 'integer', minimum: 1 }, biological: { type: 'boolean' } },
    },
    allow_witness: { type: 'boolean' },
  },
};

const match = {
  type: 'object',
  additionalProperties: false,
  properties: {
    actuator: id,
    operation: oneOrMany(operation),
    path: { type: 'string', pattern: '^/', errorHint: "must be a path pattern starting with '/'" },
    agent: oneOrMany(agent),
    reversibility: oneOrMany({
      type: 'string',
      pattern: '^(fully_reversible|partially_reversible|irreversible)$',
      errorHint: 'must be fully_reversible, partially_reversible or irreversible (or a list of them)',
    }),
    amount: {
      type: 'object',
      additionalProperties: false,
      properties: { currency, gt: bound, gte: bound, lt: bound, lte: bound },
    },
  },
};

const fieldExpr = { type: ['string', 'number'], minLength: 1 };

const route = {
  type: 'object',
  additionalProperties: false,
  required: ['method', 'path', 'operation', 'target', 'reversibility'],
  properties: {
    method: { enum: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] },
    path: { type: 'string', pattern: '^/', errorHint: "must be a route pattern starting with '/', e.g. /balances/:account" },
    operation,
    target: fieldExpr,
    amount: fieldExpr,
    currency: { type: 'string', minLength: 1 },
    reversibility,
    parameters: {
      type: 'object',
      propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]{0,63}$', errorHint: 'must be a parameter name: a letter or _, then letters, digits or _' },
      additionalProperties: { type: ['string', 'number', 'boolean'] },
    },
  },
};

export const policySchema = {
  $id: 'https://analog-firewall.dev/schemas/policy.json',
  title: 'Analog Firewall policy',
  type: 'object',
  additionalProperties: false,
  required: ['version', 'name', 'actuators'],
  properties: {
    version: { const: 1 },
    name: id,
    defaults: {
      type: 'object',
      additionalProperties: false,
      properties: {
        unmatched_tier: {
          enum: ['MEDIUM', 'HIGH', 'CRITICAL'],
          errorHint: 'an action no rule recognises must never run at digital speed, so LOW is not allowed',
        },
        cooling: duration,
        signature,
        quorum,
      },
    },
    groups: { type: 'object', propertyNames: idKey, additionalProperties: idList },
    organisations: { type: 'object', propertyNames: idKey, additionalProperties: idList },
    notify: {
      type: 'object',
      additionalProperties: false,
      properties: {
        vetoers: { type: 'array', items: id, uniqueItems: true },
        webhooks: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['url'],
            properties: {
              url: { type: 'string', pattern: '^https?://', errorHint: 'must be an http:// or https:// URL' },
              secret_env: { type: 'string', pattern: '^[A-Z_][A-Z0-9_]*$', errorHint: 'must name an environment variable (capitals, digits, _); secrets never go in the policy file' },
            },
          },
        },
      },
    },
    actuators: {
      type: 'object',
      minProperties: 1,
      propertyNames: idKey,
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['upstream'],
        properties: {
          upstream: { type: 'string', pattern: '^https?://', errorHint: 'must be an http:// or https:// URL' },
          operations: { type: 'array', items: operation, uniqueItems: true },
          proxy: { type: 'array', items: route },
        },
      },
    },
    mcp_servers: {
      type: 'object',
      propertyNames: idKey,
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['url'],
        properties: {
          url: { type: 'string', pattern: '^https?://', errorHint: 'must be the http:// or https:// URL of the server\'s Streamable HTTP endpoint' },
          auth: {
            type: 'object',
            additionalProperties: false,
            required: ['bearer_env'],
            properties: {
              bearer_env: { type: 'string', pattern: '^[A-Z_][A-Z0-9_]*$', errorHint: 'must name an environment variable (capitals, digits, _); secrets never go in the policy file' },
            },
          },
          tools: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['name', 'target', 'reversibility'],
              properties: {
                name: { type: 'string', pattern: MCP_TOOL_PATTERN, errorHint: 'must be an MCP tool name: 1-128 letters, digits, "_", "-" or "."' },
                operation,
                target: route.properties.target,
                amount: route.properties.amount,
                currency: route.properties.currency,
                reversibility,
                parameters: route.properties.parameters,
              },
            },
          },
        },
      },
    },
    rules: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'match', 'tier'],
        properties: {
          id,
          match,
          tier: { enum: ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] },
          reason: { type: 'string', minLength: 1 },
          cooling: duration,
          signature,
          quorum,
        },
      },
    },
    velocity: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'match', 'per', 'window', 'escalate_to'],
        properties: {
          id,
          match: {
            type: 'object',
            additionalProperties: false,
            required: ['actuator', 'operation'],
            properties: { actuator: id, operation: oneOrMany(operation), agent: oneOrMany(agent) },
          },
          per: { enum: ['agent', 'agent_target', 'owner', 'organisation', 'target', 'global'] },
          window: duration,
          max_amount: {
            type: 'object',
            minProperties: 1,
            propertyNames: { pattern: '^[A-Z]{3}$', errorHint: 'must be an ISO 4217 currency code in capitals, e.g. EUR' },
            additionalProperties: { type: 'number', exclusiveMinimum: 0 },
          },
          max_count: { type: 'integer', minimum: 1 },
          escalate_to: { enum: ['MEDIUM', 'HIGH', 'CRITICAL'] },
        },
      },
    },
  },
} as const;
