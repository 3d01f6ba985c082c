// FunctionStatus as the OpenFaaS gateway returns it from GET /system/functions.
import { redactUrl } from '../core/secrets.js';
import type { FunctionSpec } from './stack.js';

export interface FunctionStatus {
  name: string;
  image: string;
  namespace: string;
  envProcess: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  envVars: Record<string, string>;
  secrets: string[];
  replicas: number;
  availableReplicas: number;
  invocationCount: number;
}

export function toFunctionStatus(
  spec: FunctionSpec,
  live: { replicas: number; available: number; invocations: number; envProcess: string },
): FunctionStatus {
  return {
    name: spec.name,
    image: spec.image,
    namespace: 'openfaas-fn',
    envProcess: live.envProcess,
    labels: spec.labels,
    annotations: spec.annotations,
    // URL values may carry credentials: shown redacted.
    envVars: Object.fromEntries(
      Object.entries(spec.environment).map(([k, v]) => [k, /^\w+:\/\//.test(v) ? redactUrl(v) : v]),
    ),
    secrets: spec.secrets,
    replicas: live.replicas,
    availableReplicas: live.available,
    invocationCount: live.invocations,
  };
}
