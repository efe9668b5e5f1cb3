/**
 * The cluster registry: every cluster the companion knows, in memory and in
 * `clusters.json` in the state directory (written atomically, 0600 in a 0700
 * directory), so a restarted companion can account for what it had.
 *
 * Another JupyterLab server of the same user may share the file. Each entry
 * names its owner (owner.ts); this companion keeps and changes its own
 * entries only, writes the others' back as it last read them, and follows
 * them (they are shown, not managed). An entry whose owner on this host has
 * stopped becomes this companion's, to be reconciled (`orphaned`).
 */

import { chmodSync, existsSync, readFileSync, renameSync, unwatchFile, watchFile } from 'node:fs';
import path from 'node:path';
import type { ClusterState, IClusterModel } from '../../../protocol/index.js';
import { Emitter } from '../util/emitter.js';
import { preparePrivateDir, writeFileAtomic } from '../util/files.js';
import { isObject } from '../util/objects.js';
import { currentOwner, standing, type IOwner } from './owner.js';
import { procInspector, type IProcessInspector } from './processes.js';

/** One cluster: what the browser sees plus what only the companion needs. */
export interface IClusterRecord {
  model: IClusterModel;
  /** The companion that launched it; absent in entries written before owners were recorded. */
  owner?: IOwner;
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
  /**
   * Its runner's control socket, when it keeps running after JupyterLab
   * stops: the next companion re-adopts it there.
   */
  control?: string;
  /** When and why the companion stops it (the plan's `endsAt`), kept to schedule it again after a re-adoption. */
  end?: { at: string; why: string; reason?: string };
  /** Output and error files of its batch jobs, by job id. */
  jobLogs?: Record<string, { stdout?: string; stderr?: string }>;
}

/** A change the event stream forwards. */
export type RegistryChange = { kind: 'cluster'; cluster: IClusterModel } | { kind: 'removed'; id: string };

/** States in which a runner may still be alive. */
export const ACTIVE_STATES: ReadonlySet<ClusterState> = new Set(['starting', 'running', 'stopping']);

const FORMAT_VERSION = 1;

/** How often the file is looked at for the other servers' changes. */
const WATCH_INTERVAL_MS = 1_000;

/** Who this registry is, and how it tells whether another owner still runs. */
export interface IRegistryOptions {
  owner: IOwner;
  inspector: IProcessInspector;
}

/** The model of another server's entry, as the browser sees it from a server on `host`. */
function foreignModel(record: IClusterRecord, host: string): IClusterModel {
  const owner = record.owner;
  return owner === undefined
    ? record.model
    : {
        ...structuredClone(record.model),
        elsewhere: { host: owner.host, sameHost: owner.host === host, pid: owner.pid, since: owner.since }
      };
}

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
  /** Every change, in order, of this companion's entries and of the others' it follows. */
  readonly changed = new Emitter<RegistryChange>();
  /** Entries whose owner stopped and that this companion took over: they need reconciling. */
  readonly orphaned = new Emitter<IClusterRecord[]>();
  readonly file: string;
  readonly owner: IOwner;
  private readonly inspector: IProcessInspector;
  private readonly records = new Map<string, IClusterRecord>();
  /** The other servers' entries, as last read. */
  private foreign = new Map<string, IClusterRecord>();
  /** Ids this companion forgot: an entry of ours in the file that is not one of these was handed to us. */
  private readonly removed = new Set<string>();
  /** Entries this companion handed to another, until that one writes them as its own. */
  private readonly handed = new Map<string, IClusterRecord>();
  private watching = false;

  /** `records` as read from the file: this companion takes those whose owner is gone. */
  constructor(stateDir: string, records: IClusterRecord[] = [], options?: Partial<IRegistryOptions>) {
    this.file = path.join(stateDir, 'clusters.json');
    this.inspector = options?.inspector ?? procInspector;
    this.owner = options?.owner ?? currentOwner(this.inspector);
    for (const record of records) {
      if (this.isOthers(record)) {
        this.foreign.set(record.model.id, record);
      } else {
        record.owner = this.owner;
        this.records.set(record.model.id, record);
      }
    }
  }

  /**
   * A registry holding what `stateDir` recorded; a corrupt file is set aside,
   * not fatal. Throws UnsafeDirectoryError for a directory others own or can write.
   */
  static open(stateDir: string, options?: Partial<IRegistryOptions>): Registry {
    preparePrivateDir(stateDir);
    const file = path.join(stateDir, 'clusters.json');
    if (existsSync(file)) {
      chmodSync(file, 0o600); // written 0600, but a copied or restored file may not be
    }
    try {
      return new Registry(stateDir, loadRecords(file), options);
    } catch (error) {
      const aside = `${file}.corrupt-${Date.now()}`;
      renameSync(file, aside);
      console.error(`could not read ${file} (${String(error)}); moved it to ${aside}`);
      return new Registry(stateDir, [], options);
    }
  }

  /** This companion's records, oldest first. */
  list(): IClusterRecord[] {
    return [...this.records.values()].sort(byCreation);
  }

  /** Every cluster the user sees: this companion's and the other servers', oldest first. */
  models(): IClusterModel[] {
    return [...this.records.values(), ...this.foreign.values()]
      .sort(byCreation)
      .map(record => (this.records.has(record.model.id) ? record.model : foreignModel(record, this.owner.host)));
  }

  get(id: string): IClusterRecord | undefined {
    return this.records.get(id);
  }

  /** Another server's entry `id`, as last read. */
  getForeign(id: string): IClusterRecord | undefined {
    return this.foreign.get(id);
  }

  /** Add or replace `record` (this companion's), persist, and announce it. */
  put(record: IClusterRecord): void {
    record.owner = this.owner;
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
      this.removed.add(id);
      this.save();
      this.changed.emit({ kind: 'removed', id });
    }
  }

  /**
   * Give the entry `id` to another companion (`to`), which takes it over at
   * its next look at the file; it is shown here as that companion's from now on.
   */
  handOver(id: string, to: IOwner): void {
    const record = this.records.get(id);
    if (record === undefined) {
      return;
    }
    this.records.delete(id);
    record.owner = to;
    this.foreign.set(id, record);
    this.handed.set(id, record);
    this.save();
    this.changed.emit({ kind: 'cluster', cluster: foreignModel(record, this.owner.host) });
  }

  /** Make another server's entry `id` this companion's; returns it, or undefined when there is none. */
  takeOver(id: string): IClusterRecord | undefined {
    const record = this.foreign.get(id);
    if (record === undefined) {
      return undefined;
    }
    this.foreign.delete(id);
    this.put(record);
    return record;
  }

  /** Follow the other servers' changes to the file until `unwatch`. */
  watch(): void {
    if (!this.watching) {
      this.watching = true;
      watchFile(this.file, { interval: WATCH_INTERVAL_MS, persistent: false }, () => this.refresh());
    }
  }

  unwatch(): void {
    if (this.watching) {
      this.watching = false;
      unwatchFile(this.file);
    }
  }

  /**
   * Read the other servers' entries again: announce what changed, take over
   * those whose owner stopped, and write this companion's entries back if a
   * concurrent write of another server lost them.
   */
  refresh(): void {
    const inFile = this.readFile();
    const next = new Map<string, IClusterRecord>();
    const orphans: IClusterRecord[] = [];
    for (const record of inFile) {
      const id = record.model.id;
      if (this.isOwn(record) && this.handed.has(id)) {
        // Handed on and not taken yet: still shown as the new owner's.
        next.set(id, this.handed.get(id) ?? record);
        continue;
      }
      this.handed.delete(id);
      if (this.records.has(id) || (this.isOwn(record) && this.removed.has(id))) {
        continue;
      }
      if (this.isOwn(record)) {
        // Handed to this companion by its previous owner (handOver there).
        this.records.set(id, record);
        orphans.push(record);
      } else if (this.isOthers(record)) {
        next.set(id, record);
      } else {
        record.owner = this.owner;
        this.records.set(id, record);
        orphans.push(record);
      }
    }
    const previous = this.foreign;
    this.foreign = next;
    for (const [id, record] of next) {
      if (JSON.stringify(previous.get(id)) !== JSON.stringify(record)) {
        this.changed.emit({ kind: 'cluster', cluster: foreignModel(record, this.owner.host) });
      }
    }
    for (const id of previous.keys()) {
      if (!next.has(id) && !this.records.has(id)) {
        this.changed.emit({ kind: 'removed', id });
      }
    }
    const written = new Set(inFile.filter(record => this.isOwn(record)).map(record => record.model.id));
    if (orphans.length > 0 || [...this.records.keys()].some(id => !written.has(id))) {
      this.save();
    }
    for (const record of orphans) {
      this.changed.emit({ kind: 'cluster', cluster: structuredClone(record.model) });
    }
    if (orphans.length > 0) {
      this.orphaned.emit(orphans);
    }
  }

  /** Whether `record` belongs to a server that still runs here, or to one on another host. */
  private isOthers(record: IClusterRecord): boolean {
    const owner = standing(record.owner, this.owner, this.inspector);
    return owner === 'alive' || owner === 'elsewhere';
  }

  private isOwn(record: IClusterRecord): boolean {
    return standing(record.owner, this.owner, this.inspector) === 'self';
  }

  /** The file's records now; [] when it cannot be read (a corrupt file is the opener's business). */
  private readFile(): IClusterRecord[] {
    try {
      return loadRecords(this.file);
    } catch {
      return [];
    }
  }

  /** Write this companion's records and, as the file holds them now, the other servers'. */
  private save(): void {
    // As the file holds them: the other servers' entries, and those handed to this companion not
    // taken in yet; not those it forgot, nor those it handed on (its own version goes until taken).
    const inFile = this.readFile();
    const others = inFile.filter(record => {
      const id = record.model.id;
      return !this.records.has(id) && !(this.isOwn(record) && (this.removed.has(id) || this.handed.has(id)));
    });
    const written = new Set(others.map(record => record.model.id));
    others.push(...[...this.handed.values()].filter(record => !written.has(record.model.id)));
    const clusters = [...this.list(), ...others].sort(byCreation);
    const text = JSON.stringify({ version: FORMAT_VERSION, clusters }, null, 1);
    writeFileAtomic(this.file, text + '\n');
  }
}

function byCreation(a: IClusterRecord, b: IClusterRecord): number {
  return a.model.createdAt.localeCompare(b.model.createdAt);
}
