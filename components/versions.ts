import pins from "../versions.json";

/**
 * The nats-server release the tests run and the stack deploys. Pinned in versions.json,
 * the one file scripts/install-tools.sh also reads.
 */
export const NATS_SERVER_VERSION: string = pins.natsServer;

/** The official image the NATS StatefulSet runs: the same release as the tests. */
export const NATS_SERVER_IMAGE = `nats:${NATS_SERVER_VERSION}-alpine`;

/** The NATS exporter sidecar beside each NATS server (JetStream metrics for the alerts). */
export const NATS_EXPORTER_IMAGE = `natsio/prometheus-nats-exporter:${pins.natsExporter}`;
