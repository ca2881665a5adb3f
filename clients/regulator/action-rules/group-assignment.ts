/**
 * Who counts where: the largest assignment of people to groups, each person in at most one group,
 * each group taking at most its `min` people and, when organisations must be distinct, at most one
 * person per organisation. A maximum flow (Edmonds–Karp) over
 *
 *   source → organisation (capacity 1, when distinct) → person (1) → group (min) → sink
 *
 * so a verifier finds an assignment whenever one exists (dave counted in `risk`, not `platform`,
 * when he is the only member of `risk`), in polynomial time whatever a bundle contains.
 */

export interface Candidate {
  /** Person id. */
  key: string;
  /** Groups the person may count in. */
  groups: readonly string[];
  organisation?: string;
}

interface Edge {
  to: number;
  cap: number;
  rev: number;
}

/** Returns person -> group for the people counted. */
export function assignToGroups(candidates: readonly Candidate[], caps: ReadonlyMap<string, number>, distinctOrganisations = false): Map<string, string> {
  const adj: Edge[][] = [];
  const node = (): number => adj.push([]) - 1;
  const edge = (from: number, to: number, cap: number): void => {
    adj[from]!.push({ to, cap, rev: adj[to]!.length });
    adj[to]!.push({ to: from, cap: 0, rev: adj[from]!.length - 1 });
  };
  const source = node();
  const sink = node();
  const groupNode = new Map<string, number>();
  for (const [g, cap] of caps) {
    const n = node();
    groupNode.set(g, n);
    edge(n, sink, cap);
  }
  const orgNode = new Map<string, number>();
  const personNode: { key: string; node: number }[] = [];
  for (const c of candidates) {
    const p = node();
    personNode.push({ key: c.key, node: p });
    if (distinctOrganisations) {
      if (c.organisation === undefined) continue; // never counted
      let o = orgNode.get(c.organisation);
      if (o === undefined) {
        o = node();
        orgNode.set(c.organisation, o);
        edge(source, o, 1);
      }
      edge(o, p, 1);
    } else {
      edge(source, p, 1);
    }
    for (const g of c.groups) {
      const gn = groupNode.get(g);
      if (gn !== undefined) edge(p, gn, 1);
    }
  }
  for (;;) {
    const prev: ({ node: number; edge: number } | undefined)[] = new Array(adj.length).fill(undefined);
    const queue = [source];
    const seen = new Set([source]);
    while (queue.length > 0 && !seen.has(sink)) {
      const u = queue.shift()!;
      adj[u]!.forEach((e, i) => {
        if (e.cap > 0 && !seen.has(e.to)) {
          seen.add(e.to);
          prev[e.to] = { node: u, edge: i };
          queue.push(e.to);
        }
      });
    }
    if (!seen.has(sink)) break;
    for (let v = sink; v !== source; ) {
      const { node: u, edge: i } = prev[v]!;
      const e = adj[u]![i]!;
      e.cap -= 1;
      adj[v]![e.rev]!.cap += 1;
      v = u;
    }
  }
  const out = new Map<string, string>();
  for (const { key, node: p } of personNode) {
    for (const e of adj[p]!) {
      if (e.cap === 0 && e.to !== source) {
        const group = [...groupNode].find(([, n]) => n === e.to)?.[0];
        // A used person -> group edge has capacity 0 and its reverse edge capacity 1.
        if (group !== undefined && adj[e.to]![e.rev]!.cap === 1) out.set(key, group);
      }
    }
  }
  return out;
}
