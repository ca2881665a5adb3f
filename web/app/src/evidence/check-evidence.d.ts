// The page's view of clients/regulator/evidence.ts (Vite alias `@evidence-check`): that module is
// type-checked with the rest of the verifier under the root tsconfig (it uses Node-compatible
// Buffer types this tsconfig does not load); both sides share the CheckEvidence type.
import type { CheckEvidence } from '../../../../src/core/signature/evidence.ts';

export declare const checkEvidence: CheckEvidence;
