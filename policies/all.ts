/** Every policy of the pack, in the order they are reported. */
import type { StackValidationPolicy } from "@pulumi/policy";
import { servicesDoNotOwnTopology } from "./event-bus-services-do-not-own-topology";
import { consumerFilterInStream } from "./jetstream-consumer-filter-in-stream";
import { deadLetters } from "./jetstream-dead-letters";
import { noSubjectOverlap } from "./jetstream-no-subject-overlap";
import { productionStreamsProtected } from "./jetstream-production-streams-protected";
import { replicasByEnvironment } from "./jetstream-replicas-by-environment";
import { retention } from "./jetstream-retention";
import { noSecretNames } from "./kubernetes-no-secret-names";
import { noSecretValues } from "./kubernetes-no-secret-values";

export const POLICIES: StackValidationPolicy[] = [
  noSubjectOverlap,
  consumerFilterInStream,
  replicasByEnvironment,
  deadLetters,
  retention,
  servicesDoNotOwnTopology,
  noSecretValues,
  noSecretNames,
  productionStreamsProtected,
];
