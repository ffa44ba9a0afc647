// Counters kept twice on purpose: as plain numbers for GET /state (read by the cluster
// harness and the tests) and as prom-client metrics for GET /metrics (Prometheus text).
import client from 'prom-client';

export type CounterName = 'sent' | 'received' | 'events' | 'framesRejected' | 'connectionsRejected' | 'linkDowns';

const HELP: Record<CounterName, [string, string, string]> = {
  sent: ['hyparview_messages_sent_total', 'Protocol messages queued for sending, by type', 'type'],
  received: ['hyparview_messages_received_total', 'Protocol messages received, by type', 'type'],
  events: ['hyparview_events_total', 'Membership events reported by the protocol, by kind', 'kind'],
  framesRejected: ['hyparview_frames_rejected_total', 'Connections closed for a bad frame, a failed handshake or a timeout (keepalive included), by reason', 'reason'],
  connectionsRejected: ['hyparview_connections_rejected_total', 'Inbound connections refused on arrival, by reason', 'reason'],
  linkDowns: ['hyparview_link_downs_total', 'Connections to peers that broke or could not be opened, by direction', 'phase'],
};

export interface BroadcastCounters {
  originated: number;
  delivered: number;
  duplicates: number;
  relayed: number;
  /** Refused: the dedup window was full of ids too young to forget. */
  dropped: number;
}

export interface Gauges {
  activeSize(): number;
  passiveSize(): number;
  inbound(): number;
  outbound(): number;
  directorySize(): number;
}

export class NodeMetrics {
  readonly registry = new client.Registry();
  readonly counts: Record<CounterName, Record<string, number>> = {
    sent: {},
    received: {},
    events: {},
    framesRejected: {},
    connectionsRejected: {},
    linkDowns: {},
  };
  readonly broadcast: BroadcastCounters = { originated: 0, delivered: 0, duplicates: 0, relayed: 0, dropped: 0 };
  private readonly counters: Record<CounterName, client.Counter<string>>;
  private readonly broadcastCounter: client.Counter<'what'>;

  constructor(nodeId: string, gauges: Gauges) {
    this.registry.setDefaultLabels({ node: nodeId });
    client.collectDefaultMetrics({ register: this.registry });
    const counters = {} as Record<CounterName, client.Counter<string>>;
    for (const [key, [name, help, label]] of Object.entries(HELP) as [CounterName, [string, string, string]][]) {
      counters[key] = new client.Counter({ name, help, labelNames: [label], registers: [this.registry] });
    }
    this.counters = counters;
    this.broadcastCounter = new client.Counter({
      name: 'hyparview_broadcast_total',
      help: 'Broadcast messages: originated here, delivered here (once each), duplicates dropped, copies relayed',
      labelNames: ['what'],
      registers: [this.registry],
    });
    const gauge = (name: string, help: string, read: () => number): void => {
      new client.Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.set(read());
        },
      });
    };
    gauge('hyparview_active_view_size', 'Peers in the active view', gauges.activeSize);
    gauge('hyparview_passive_view_size', 'Peers in the passive view', gauges.passiveSize);
    gauge('hyparview_inbound_connections', 'Inbound TCP connections, handshaking included', gauges.inbound);
    gauge('hyparview_outbound_connections', 'Outbound TCP connections', gauges.outbound);
    gauge('hyparview_known_peers', 'Peer ids in the intern table', gauges.directorySize);
  }

  count(name: CounterName, label: string): void {
    const bucket = this.counts[name];
    bucket[label] = (bucket[label] ?? 0) + 1;
    this.counters[name].inc({ [HELP[name][2]]: label });
  }

  countBroadcast(what: keyof BroadcastCounters, n = 1): void {
    this.broadcast[what] += n;
    this.broadcastCounter.inc({ what }, n);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
