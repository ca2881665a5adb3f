import { resolve } from 'node:path';

/** The repository root (examples/ and docs/ are found from here whatever the working directory). */
export const PROJECT_ROOT = resolve(import.meta.dirname, '../..');
