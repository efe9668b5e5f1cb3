/**
 * The cluster registry: every cluster the companion knows, in memory and in
 * `clusters.json` in the state directory (written atomically, 0600 in a 0700
 * directory), so a restarted companion can account for what it had.
 */

import { chmodSync, existsSync, readFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import type { ClusterState, IClusterModel } from '../../../protocol/index.js';
import { Emitter } from '../util/emitter.js';
import { preparePrivateDir, writeFileAtomic } from '../util/files.js';
import { isObject } from '../util/objects.js';

/** One cluster: what the browser sees plus what only the companion needs. */
export interface IClusterRecord {
  model: IClusterModel;
  /** Process id (and process group id) of its runner. */
  runnerPid?: number;
  /** Where its dashboard really is (e.g. http://127.0.0.1:PORT); never sent to the browser. */
  dashboardUrl?: string;
  /** Directories created for it, removed when it ends. */
  workDirs: string[];
  /** Its runner's stderr. */
  logFile: string;
  /** Every batch job id its runner reported, until they are cancelled. */
  jobIds?: string[];
  /** The worker each of its batch jobs runs, by job id (log files may be named after it). */
  jobNames?: Record<string, string>;
  /** Why it has no dashboard, and what its runner last warned about: together they make `model.warning`. */
  dashboardNote?: string;
  runnerWarning?: string;
  /** Output and error files of its batch jobs, by job id. */
  jobLogs?: Record<string, { stdout?: string; stderr?: string }>;
}

/** A change the event stream forwards. */
export type RegistryChange = { kind: 'cluster'; cluster: IClusterModel } | { kind: 'removed'; id: string };

/** States in which a runner may still be alive. */
export const ACTIVE_STATES: ReadonlySet<ClusterState> = new Set(['starting', 'running', 'stopping']);

const FORMAT_VERSION = 1;

function isClusterRecord(value: unknown): value is IClusterRecord {
  if (!isObject(value)) {
    return false;
  }
  const record = value as Partial<IClusterRecord>;
  return (
    typeof record.model === 'object' &&
    record.model !== null &&
    typeof record.model.id === 'string' &&
    typeof record.model.state === 'string' &&
    Array.isArray(record.workDirs) &&
    typeof record.logFile === 'string'
  );
}

/** Records read from `file`; [] when it does not exist. Throws on a corrupt file. */
export function loadRecords(file: string): IClusterRecord[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return [];
    }
    throw error;
  }
  const parsed = JSON.parse(text) as { version?: unknown; clusters?: unknown };
  if (parsed.version !== FORMAT_VERSION || !Array.isArray(parsed.clusters)) {
    throw new Error(`${file} is not a version ${FORMAT_VERSION} cluster registry`);
  }
  return parsed.clusters.filter(isClusterRecord);
}

/** In-memory registry, persisted on every change. */
export class Registry {
  /** Every change, in order. */
  readonly changed = new Emitter<RegistryChange>();
  private readonly records = new Map<string, IClusterRecord>();
  readonly file: string;

  constructor(stateDir: string, records: IClusterRecord[] = []) {
    this.file = path.join(stateDir, 'clusters.json');
    for (const record of records) {
      this.records.set(record.model.id, record);
    }
  }

  /**
   * A registry holding what `stateDir` recorded; a corrupt file is set aside,
   * not fatal. Throws UnsafeDirectoryError for a directory others own or can write.
   */
  static open(stateDir: string): Registry {
    preparePrivateDir(stateDir);
    const file = path.join(stateDir, 'clusters.json');
    if (existsSync(file)) {
      chmodSync(file, 0o600); // written 0600, but a copied or restored file may not be
    }
    try {
      return new Registry(stateDir, loadRecords(file));
    } catch (error) {
      const aside = `${file}.corrupt-${Date.now()}`;
      renameSync(file, aside);
      console.error(`could not read ${file} (${String(error)}); moved it to ${aside}`);
      return new Registry(stateDir);
    }
  }

  /** All records, oldest first. */
  list(): IClusterRecord[] {
    return [...this.records.values()].sort((a, b) => a.model.createdAt.localeCompare(b.model.createdAt));
  }

  get(id: string): IClusterRecord | undefined {
    return this.records.get(id);
  }

  /** Add or replace `record`, persist, and announce it. */
  put(record: IClusterRecord): void {
    this.records.set(record.model.id, record);
    this.save();
    // A copy: listeners may keep it, and the record changes on.
    this.changed.emit({ kind: 'cluster', cluster: structuredClone(record.model) });
  }

  /** Apply `change` to the record of `id`; returns the updated record. */
  update(id: string, change: (record: IClusterRecord) => void): IClusterRecord | undefined {
    const record = this.records.get(id);
    if (record === undefined) {
      return undefined;
    }
    change(record);
    this.put(record);
    return record;
  }

  /** Forget `id`, persist, and announce it. */
  remove(id: string): void {
    if (this.records.delete(id)) {
      this.save();
      this.changed.emit({ kind: 'removed', id });
    }
  }

  private save(): void {
    const text = JSON.stringify({ version: FORMAT_VERSION, clusters: this.list() }, null, 1);
    writeFileAtomic(this.file, text + '\n');
  }
}
