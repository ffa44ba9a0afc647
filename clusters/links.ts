// The directed links of a cluster behind Toxiproxy: one proxy per ordered pair (i→j), named
// "n1->n2", so that a fault can cut, slow or blackhole one direction of one pair. The same
// names and ports serve the Docker backend, the local backend and docker-compose.yml.

/** Member ids are n1..nN. */
export const nodeId = (index: number): string => `n${index + 1}`;

export interface Link {
  readonly from: string;
  readonly to: string;
}

/** Toxiproxy's name for the proxy that carries `from`'s connections to `to`. */
export const proxyName = (from: string, to: string): string => `${from}->${to}`;

/** Every ordered pair of distinct members. */
export function allLinks(ids: readonly string[]): Link[] {
  return ids.flatMap((from) => ids.filter((to) => to !== from).map((to) => ({ from, to })));
}

/** First proxy listen port; link (i, j) of an n-node cluster listens on PROXY_BASE_PORT + i·n + j (0-based). */
export const PROXY_BASE_PORT = 20_000;

export function proxyPort(fromIndex: number, toIndex: number, nodes: number): number {
  return PROXY_BASE_PORT + fromIndex * nodes + toIndex;
}
