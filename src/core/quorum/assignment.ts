/**
 * Who counts where: a maximum assignment of candidates (people) to groups, each person in at most
 * one group, each group taking at most `capacity` people, and, when organisations must be
 * distinct, at most one person per organisation. It is a maximum flow
 *
 *   source → [organisation, capacity 1] → person (capacity 1) → group (capacity = min) → sink
 *
 * solved with Edmonds–Karp (shortest augmenting paths). Quorums are small (tens of people), so
 * the simple algorithm is plenty; it finds the assignment a careful human organiser would, e.g. it
 * puts dave in `risk` rather than `platform` when he is the only member of `risk`. Deterministic:
 * candidates and groups are explored in the order given.
 */

export interface AssignmentCandidate {
  /** Unique key of the candidate (a person id). */
  key: string;
  /** Groups the candidate may be counted in, in order of preference. */
  groups: readonly string[];
  /** Used only when organisations must be distinct; a candidate without one is never assigned then. */
  organisation?: string;
}

export interface AssignmentOptions {
  distinctOrganisations?: boolean;
}

interface Edge {
  to: number;
  cap: number;
  rev: number;
}

class FlowGraph {
  readonly adj: Edge[][] = [];

  node(): number {
    this.adj.push([]);
    return this.adj.length - 1;
  }

  edge(from: number, to: number, cap: number): void {
    this.adj[from]!.push({ to, cap, rev: this.adj[to]!.length });
    this.adj[to]!.push({ to: from, cap: 0, rev: this.adj[from]!.length - 1 });
  }

  maxFlow(s: number, t: number): number {
    let flow = 0;
    for (;;) {
      const prev: ({ node: number; edge: number } | undefined)[] = new Array(this.adj.length).fill(undefined);
      const queue = [s];
      const seen = new Set([s]);
      while (queue.length > 0 && !seen.has(t)) {
        const u = queue.shift()!;
        this.adj[u]!.forEach((e, i) => {
          if (e.cap > 0 && !seen.has(e.to)) {
            seen.add(e.to);
            prev[e.to] = { node: u, edge: i };
            queue.push(e.to);
          }
        });
      }
      if (!seen.has(t)) return flow;
      let bottleneck = Infinity;
      for (let v = t; v !== s; v = prev[v]!.node) bottleneck = Math.min(bottleneck, this.adj[prev[v]!.node]![prev[v]!.edge]!.cap);
      for (let v = t; v !== s; v = prev[v]!.node) {
        const e = this.adj[prev[v]!.node]![prev[v]!.edge]!;
        e.cap -= bottleneck;
        this.adj[v]![e.rev]!.cap += bottleneck;
      }
      flow += bottleneck;
    }
  }
}

/** Returns candidate key → group for the candidates counted. Groups with capacity ≤ 0 take nobody. */
export function assignToGroups(
  candidates: readonly AssignmentCandidate[],
  capacities: ReadonlyMap<string, number>,
  options: AssignmentOptions = {},
): Map<string, string> {
  const g = new FlowGraph();
  const source = g.node();
  const sink = g.node();
  const groupNode = new Map<string, number>();
  for (const [group, cap] of capacities) {
    const n = g.node();
    groupNode.set(group, n);
    if (cap > 0) g.edge(n, sink, cap);
  }
  const orgNode = new Map<string, number>();
  const personEdges: { key: string; edges: { group: string; edgeIndex: number; from: number }[] }[] = [];
  for (const c of candidates) {
    const p = g.node();
    if (options.distinctOrganisations === true) {
      if (c.organisation === undefined) continue;
      let o = orgNode.get(c.organisation);
      if (o === undefined) {
        o = g.node();
        orgNode.set(c.organisation, o);
        g.edge(source, o, 1);
      }
      g.edge(o, p, 1);
    } else {
      g.edge(source, p, 1);
    }
    const edges: { group: string; edgeIndex: number; from: number }[] = [];
    for (const group of c.groups) {
      const n = groupNode.get(group);
      if (n === undefined) continue;
      edges.push({ group, edgeIndex: g.adj[p]!.length, from: p });
      g.edge(p, n, 1);
    }
    personEdges.push({ key: c.key, edges });
  }
  g.maxFlow(source, sink);
  const out = new Map<string, string>();
  for (const { key, edges } of personEdges) {
    for (const e of edges) {
      if (g.adj[e.from]![e.edgeIndex]!.cap === 0) {
        out.set(key, e.group);
        break;
      }
    }
  }
  return out;
}
