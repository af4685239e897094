/**
 * Who may reach the NATS pods, as a NetworkPolicy (enforced where the cluster's network plugin
 * enforces them): clients on 4222 only from the services' pods and the peers the stack names;
 * routes on 6222 only from the other NATS pods, so that no other pod can join the cluster and
 * bypass client authorization; monitoring (8222) and the exporter only from Prometheus. While
 * clients without credentials are let in (kubernetes.nats.anonymousClients "allow", the first stage
 * of a takeover), the client port stays open to every pod, or the unknown clients that stage keeps
 * working would be cut off by the network instead. Pure.
 */
import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import type { INetworkPolicyPeer } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer";
import { NATS_EXPORTER } from "../monitoring/metrics";
import { labels } from "./labels";
import { CLIENT_PORT, CLUSTER_PORT, MONITOR_PORT } from "./nats-conf";
import type { NatsLayout } from "./nats-layout";

export interface NatsNetworkPolicyInput {
  namespace: string;
  layout: NatsLayout;
  /** The `app` labels of the pods that connect as clients (the services). */
  clientApps: string[];
  /** More clients (other namespaces, the operators' tools), as NetworkPolicy peers. */
  clients: INetworkPolicyPeer[];
  /** Where Prometheus runs, as NetworkPolicy peers. */
  prometheus: INetworkPolicyPeer[];
  /** Clients without credentials are let in: the client port is open to every pod. */
  anonymousClients: boolean;
}

export function renderNatsNetworkPolicy(i: NatsNetworkPolicyInput): INetworkPolicy {
  const tcp = (port: number) => ({ protocol: "TCP" as const, port });
  const services: INetworkPolicyPeer = { podSelector: { matchExpressions: [{ key: "app", operator: "In", values: [...i.clientApps] }] } };
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: i.layout.statefulSet, namespace: i.namespace, labels: labels("nats") },
    spec: {
      podSelector: { matchLabels: i.layout.selector },
      policyTypes: ["Ingress"],
      ingress: [
        i.anonymousClients ? { ports: [tcp(CLIENT_PORT)] } : { from: [services, ...i.clients], ports: [tcp(CLIENT_PORT)] },
        { from: [{ podSelector: { matchLabels: i.layout.selector } }], ports: [tcp(CLUSTER_PORT)] },
        { from: [...i.prometheus], ports: [tcp(MONITOR_PORT), tcp(NATS_EXPORTER.port)] },
      ],
    },
  };
}
