/** The biological-signature protocol, pure parts: transcript, challenge derivation, messages, summaries (docs/protocol.md). */
export * from './transcript.ts';
export * from './messages.ts';
export * from './summary.ts';
export { SIGNATURE_SCHEMAS, SCHEMA_BASE, LIMITS } from './schemas.ts';
