/**
 * Biological-entropy modalities a signature may use (seed §VI.2, Threat 2: several modalities so
 * nobody is excluded because they cannot produce one particular signal).
 */
export const MODALITIES = ['hrv', 'motion', 'typing', 'gaze', 'voice', 'eda'] as const;
export type Modality = (typeof MODALITIES)[number];

export function isModality(v: unknown): v is Modality {
  return typeof v === 'string' && (MODALITIES as readonly string[]).includes(v);
}

/** Canonical order (vocabulary order) so equal sets compare and hash equal. */
export function sortModalities(list: Iterable<Modality>): Modality[] {
  const set = new Set(list);
  return MODALITIES.filter((m) => set.has(m));
}
