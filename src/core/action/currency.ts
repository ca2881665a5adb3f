/**
 * Currency codes in one spelling, so that no velocity window or amount rule is split by how a code
 * is written. The gateway refuses what is not an ISO 4217 code (after case folding), rather than
 * guessing: 'eur' and 'EUR' are one currency, ' EUR', 'EURO' or 'XYZ' are refused at the
 * entrance (docs/policy.md §Currencies). The list is the runtime's ICU one (Intl), the active
 * ISO 4217 codes.
 */
const ISO_4217: ReadonlySet<string> = new Set(Intl.supportedValuesOf('currency'));

/** The code in upper case; callers check it with isIsoCurrency first. */
export function normaliseCurrency(code: string): string {
  return code.toUpperCase();
}

/** True for an active ISO 4217 code written in capitals or small letters (no blanks, no other forms). */
export function isIsoCurrency(code: string): boolean {
  return /^[A-Za-z]{3}$/.test(code) && ISO_4217.has(code.toUpperCase());
}
