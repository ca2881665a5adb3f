/** Signs a receipt for an authorised, about-to-be-forwarded action. */
export type ReceiptIssuer = (claims: {
  actionId: string;
  actuator: string;
  digest: string;
  method: string;
  path: string;
  bodySha256: string;
  tier: string;
  approvals: unknown[];
  quorum?: unknown;
  policyHash: string;
  logIndex: number;
}) => Promise<{ jws: string; jti: string }>;
