/**
 * A cluster type written as data: what the [+NEW] form shows, how its
 * options become a Dask cluster class's keyword arguments, and the code a
 * notebook uses to connect. `definedBackend` (defined.ts) turns one into a
 * backend; a site adds its own in its dask config (site.ts).
 */

import type { JSONSchema7 } from 'json-schema';
import type { EnvironmentCheck, IScalingOptions } from './fields.js';

/** The values a mapping may use besides the type's own options. */
export const MAPPING_VALUES = {
  environment: 'the interpreter the user chose',
  workers: 'the workers to start with (the fixed count, or the adaptive minimum)',
  cluster_id: "the cluster's id, e.g. for job names",
  worker_env: 'the workers’ environment variables, as a mapping of names to values',
  worker_env_exports: 'the same as `export NAME=value` shell lines, for job script prologues',
  security_directory: 'the directory of the TLS credentials (types with tls: true)'
} as const;

/** A cluster type as data. */
export interface ITypeDefinition {
  id: string;
  title: string;
  description: string;
  /** Import path of the `distributed.deploy.Cluster` subclass the runner starts. */
  clusterClass: string;
  /** Option fields of the type (JSON Schema draft-07 properties), besides the shared ones. */
  options: Record<string, JSONSchema7>;
  /** Options a request must give (after defaults). */
  required: string[];
  /** Form hints of the type's fields (react-jsonschema-form `ui:` keys), by field. */
  ui: Record<string, Record<string, unknown>>;
  /** Defaults of the shared scaling fields. */
  scaling: IScalingOptions;
  /** Options (and MAPPING_VALUES) -> keyword arguments of `clusterClass`; see mapping.ts. */
  kwargs: Record<string, unknown>;
  /**
   * Whether the runner gives the cluster fresh TLS credentials (a `security`
   * argument); the class must accept one, as every SpecCluster does.
   */
  tls: boolean;
  /**
   * Python a notebook runs to connect, with `{scheduler_address}` and
   * `{dashboard_link}`; undefined: a `Client` (over TLS with `tls`).
   */
  snippet?: string;
  /** Which environments can run it. */
  environmentCheck: EnvironmentCheck;
  /** Where the definition comes from, for messages, e.g. "your site's dask config (…)". */
  origin: string;
  /** Why it cannot be used here (a broken definition, a missing module), when it cannot. */
  unavailable?: string;
}
