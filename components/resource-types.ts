/**
 * The type tokens of the stack's resources, as the engine records them and the policies read
 * them: the two dynamic resources (`pulumi-nodejs:dynamic/<module>:<kind>`) and the Kubernetes
 * kinds the policies look at.
 */
export const DYNAMIC_MODULE = "event-bus";
export const STREAM_KIND = "Stream";
export const CONSUMER_KIND = "Consumer";

export const STREAM_TYPE = `pulumi-nodejs:dynamic/${DYNAMIC_MODULE}:${STREAM_KIND}`;
export const CONSUMER_TYPE = `pulumi-nodejs:dynamic/${DYNAMIC_MODULE}:${CONSUMER_KIND}`;
export const CONFIGMAP_TYPE = "kubernetes:core/v1:ConfigMap";
export const SECRET_TYPE = "kubernetes:core/v1:Secret";
export const DEPLOYMENT_TYPE = "kubernetes:apps/v1:Deployment";
export const STATEFULSET_TYPE = "kubernetes:apps/v1:StatefulSet";
