export interface PrincipalRecord {
  id: string;
  /** agent | authorizer | comparator | regulator | admin */
  roles: string[];
  /** Public JWK the principal signs its client assertions with. */
  publicJwk: JsonWebKey;
  /** For agents: the person who owns or operates it (separation of duties). */
  owner?: string;
  organisation?: string;
  createdAt: number;
  disabled: boolean;
}

/** Principals inside a transaction. */
export interface PrincipalsTx {
  get(id: string): Promise<PrincipalRecord | undefined>;
  /** Registers or replaces the principal with this id. */
  put(p: PrincipalRecord): Promise<void>;
}

/** Committed reads of principals (every authenticated request makes one). */
export interface PrincipalReads {
  get(id: string): Promise<PrincipalRecord | undefined>;
}
