/** The policy engine's public surface. Everything here is pure; file loading lives in adapters/policy-file.ts. */
export { parsePolicy, MAX_POLICY_BYTES } from './parse.ts';
export { classify, type ClassifyOptions } from './classify.ts';
export { velocityQueries, velocityScopesOf } from './velocity.ts';
export { mapProxyRequest, type MappedAction, type ProxyRequest } from './proxy-mapping.ts';
export { sampleActions, type SampleAction } from './samples.ts';
export { parseDuration, formatDuration } from './duration.ts';
export { MODALITIES, type Modality } from './modality.ts';
export { policySchema } from './schema.ts';
export type * from './types.ts';
