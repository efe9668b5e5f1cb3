/**
 * Cluster lifecycle: create (validate, then start a runner), follow the
 * runner's events, scale, stop, forget; and account at startup for clusters
 * a previous companion left. States: starting -> running -> stopping ->
 * stopped, or failed (runner died), or lost (companion restarted).
 */

import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import type {
  ICompanionLimits,
  IClusterModel,
  ICreateRequest,
  IFieldError,
  IScaling
} from '../../../protocol/index.js';
import type { IBackend, ILaunchPlan, SubmitResult } from '../backends/backend.js';
import { scalingCommand, type IStartCommand, type RunnerEvent } from '../runner/protocol.js';
import { AdoptedRunner } from '../runner/adopted.js';
import { killGroup, RunnerProcess, type IRunner, type IRunnerExit } from '../runner/supervisor.js';
import type { RunnerHosts } from '../runner/hosts.js';
import type { SpareRunners } from '../runner/spares.js';
import { ensurePrivateDir, readTail, removeDir } from '../util/files.js';
import { isObject } from '../util/objects.js';
import { detachedEnd, endingReason } from './ends.js';
import { ClusterError, invalidRequest, runsElsewhere, unknownCluster } from './errors.js';
import { isOwner, type IOwner } from './owner.js';
import { askPeer } from './peer.js';
import type { IProcessInspector } from './processes.js';
import { planReconciliation, type IReconcileAction } from './reconcile.js';
import { ACTIVE_STATES, type IClusterRecord, type Registry } from './registry.js';
import { parseScaling } from './scaling.js';

/** Lines of runner log kept in `logTail`. */
export const LOG_TAIL_LINES = 50;

/** Options of ClusterManager. */
export interface IClusterManagerOptions {
  registry: Registry;
  backends: ReadonlyMap<string, IBackend>;
  runnerPath: string;
  stateDir: string;
  /** Where JupyterLab serves the companion, e.g. `/user/me/dask-clusters/`. */
  baseUrl: string;
  /** The caps in force (site settings over the defaults). */
  limits: () => Required<ICompanionLimits>;
  /** Grace periods of a stop: after `close`, then after SIGTERM. */
  closeGraceMs?: number;
  termGraceMs?: number;
  /** Runners started ahead of a create, taken by the create of their environment. */
  spares?: SpareRunners;
  /** The runner hosts, where clusters of a plan with `sharedRunner` run. */
  hosts?: RunnerHosts;
}

/** Create `dir` 0700, refusing a parent that another user owns or can write. */
function makeWorkDir(dir: string): void {
  const parent = path.dirname(dir);
  ensurePrivateDir(parent);
  const info = statSync(parent);
  const uid = process.getuid?.();
  if ((uid !== undefined && info.uid !== uid) || (info.mode & 0o022) !== 0) {
    throw new ClusterError(
      'internal',
      'unsafe_directory',
      `${parent} is owned or writable by another user; remove it and try again.`
    );
  }
  mkdirSync(dir, { mode: 0o700 });
}

/** `model.warning` from what the record knows: no dashboard, workers restarting. */
function showWarnings(record: IClusterRecord): void {
  const text = [record.dashboardNote, record.runnerWarning].filter(part => part !== undefined).join(' ');
  if (text === '') {
    delete record.model.warning;
  } else {
    record.model.warning = text;
  }
}

/** Every cluster and its runner. */
export class ClusterManager {
  private readonly runners = new Map<string, IRunner>();
  private readonly lastErrors = new Map<string, string>();
  /** Timers that stop clusters at their `endsAt`. */
  private readonly endTimers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly options: IClusterManagerOptions) {}

  /** Every cluster, oldest first: this companion's and those of your other JupyterLab servers. */
  list(): IClusterModel[] {
    return this.options.registry.models();
  }

  /**
   * The record of `id`; a not_found ClusterError when unknown, a conflict
   * when another JupyterLab server runs it.
   */
  record(id: string): IClusterRecord {
    const record = this.options.registry.get(id);
    if (record === undefined) {
      const foreign = this.options.registry.getForeign(id);
      throw foreign === undefined ? unknownCluster(id) : runsElsewhere(foreign);
    }
    return record;
  }

  /** The backend of a type; an unknown ClusterError when there is none. */
  backend(type: string): IBackend {
    const backend = this.options.backends.get(type);
    if (backend === undefined) {
      const known = [...this.options.backends.keys()].join(', ');
      throw new ClusterError('unknown', 'unknown_type', `Unknown cluster type "${type}"; known types: ${known}.`);
    }
    return backend;
  }

  /**
   * Start the cluster of a parsed create request (api/clusters.ts parses the
   * body): plan it, check it against the limits, let the backend submit it
   * (a gateway creates its cluster then), start its runner. Nothing starts, and
   * nothing is submitted, when it is refused.
   */
  async create(request: ICreateRequest): Promise<IClusterModel> {
    const backend = this.backend(request.type);
    this.checkClusterCount();
    const id = this.newId();
    const result = await backend.plan(request, id);
    if ('fields' in result) {
      throw invalidRequest(result.fields);
    }
    const { plan } = result;
    const tooMany = this.workerCapProblems(plan.scaling, true);
    if (tooMany.length > 0) {
      throw invalidRequest(tooMany);
    }
    for (const dir of plan.workDirs) {
      makeWorkDir(dir);
    }
    const start = await this.submit(backend, plan);
    return this.launch(id, request, plan, start);
  }

  /** A conflict when as many clusters run as the limits allow. */
  private checkClusterCount(): void {
    const { maxClusters } = this.options.limits();
    const active = this.options.registry
      .list()
      .map(record => record.model)
      .filter(model => model.state === 'starting' || model.state === 'running');
    if (active.length >= maxClusters) {
      throw new ClusterError(
        'conflict',
        'too_many_clusters',
        `You already run ${active.length} clusters (${active.map(model => `"${model.name}"`).join(', ')}), the most allowed here ` +
          `(limits.maxClusters = ${maxClusters}, set by your site or in Settings > Dask Clusters); stop one first.`
      );
    }
  }

  /**
   * The backend's submit step, when it has one: the start command it answers.
   * The plan's directories are removed again when it refuses or fails.
   */
  private async submit(backend: IBackend, plan: ILaunchPlan): Promise<IStartCommand> {
    if (backend.submit === undefined) {
      return plan.start;
    }
    let submitted: SubmitResult;
    try {
      submitted = await backend.submit(plan);
    } catch (error) {
      plan.workDirs.forEach(removeDir);
      throw error;
    }
    if ('fields' in submitted) {
      plan.workDirs.forEach(removeDir);
      throw invalidRequest(submitted.fields);
    }
    return submitted.start;
  }

  /** Register the cluster of `plan` and start its runner with `start`. */
  private launch(id: string, request: ICreateRequest, plan: ILaunchPlan, start: IStartCommand): IClusterModel {
    const logDir = path.join(this.options.stateDir, 'logs');
    ensurePrivateDir(logDir);
    const record: IClusterRecord = {
      model: {
        id,
        name: request.name ?? this.newName(request.type),
        type: request.type,
        state: 'starting',
        createdAt: new Date().toISOString(),
        spec: plan.spec,
        scaling: plan.scaling,
        workers: 0,
        cores: 0,
        memory: 0,
        environment: plan.environment,
        hasDashboard: false,
        jobs: [],
        ...(plan.endsAt !== undefined ? { endsAt: plan.endsAt.at, endsWhy: plan.endsAt.why } : {}),
        ...(plan.idleTimeout !== undefined ? { idleTimeout: plan.idleTimeout } : {}),
        ...(plan.keepRunning === true ? { keepRunning: true } : {})
      },
      workDirs: plan.workDirs,
      logFile: path.join(logDir, `${id}.log`),
      ...(plan.endsAt !== undefined ? { end: plan.endsAt } : {}),
      ...(plan.keepRunning === true ? { control: this.controlSocket(id) } : {})
    };
    const hosts = plan.sharedRunner === true ? this.options.hosts : undefined;
    const runner =
      hosts?.runner(plan.environment.python, start.config, record.logFile) ??
      this.options.spares?.take(plan.environment.python, record.logFile) ??
      new RunnerProcess({
        python: plan.environment.python,
        runnerPath: this.options.runnerPath,
        logFile: record.logFile,
        closeGraceMs: this.options.closeGraceMs,
        termGraceMs: this.options.termGraceMs
      });
    record.runnerPid = runner.pid;
    this.options.registry.put(record);
    this.follow(id, runner);
    runner.send({
      ...start,
      log_file: record.logFile,
      ...(record.control !== undefined ? { control: record.control } : {})
    });
    this.scheduleEnd(id, plan.endsAt);
    return record.model;
  }

  /** Where the runner of cluster `id` listens when it keeps running: a directory only the user can open. */
  private controlSocket(id: string): string {
    const dir = path.join(this.options.stateDir, 'control');
    ensurePrivateDir(dir);
    return path.join(dir, `${id}.sock`);
  }

  /** Listen to `runner` as the runner of cluster `id`. */
  private follow(id: string, runner: IRunner): void {
    this.runners.set(id, runner);
    runner.events.connect(event => this.onEvent(id, event));
    void runner.exited.then(exit => this.onExit(id, exit));
  }

  /** Stop cluster `id` at `end`, saying why on its item. */
  private scheduleEnd(id: string, end: ILaunchPlan['endsAt']): void {
    if (end === undefined || Number.isNaN(Date.parse(end.at))) {
      return;
    }
    // setTimeout keeps at most about 24 days: a longer lifetime is waited for in steps.
    const delay = Math.max(0, Date.parse(end.at) - Date.now());
    const step = Math.min(delay, 2 ** 31 - 1);
    const timer = setTimeout(() => {
      this.endTimers.delete(id);
      const record = this.options.registry.get(id);
      if (record === undefined || !ACTIVE_STATES.has(record.model.state) || record.model.state === 'stopping') {
        return;
      }
      if (step < delay) {
        this.scheduleEnd(id, end);
        return;
      }
      this.update(id, r => {
        r.model.endReason = end.reason ?? `Stopped before ${end.why}.`;
      });
      this.remove(id);
    }, step);
    timer.unref();
    this.endTimers.set(id, timer);
  }

  /** Rescale a running cluster. */
  scale(id: string, body: unknown): IClusterModel {
    const record = this.record(id);
    const runner = this.runners.get(id);
    if (record.model.state !== 'running' || runner === undefined) {
      throw new ClusterError(
        'conflict',
        'not_running',
        `Cluster "${record.model.name}" is ${record.model.state}; only a running cluster can be scaled.`
      );
    }
    const parsed = parseScaling(body);
    if ('fields' in parsed) {
      throw invalidRequest(parsed.fields);
    }
    const problems = [
      ...this.workerCapProblems(parsed.scaling, false),
      ...this.backend(record.model.type).checkScaling(record.model, parsed.scaling)
    ];
    if (problems.length > 0) {
      throw invalidRequest(problems);
    }
    if (!runner.send(scalingCommand(parsed.scaling))) {
      throw new ClusterError(
        'conflict',
        'runner_gone',
        `The runner of "${record.model.name}" no longer reads commands.`
      );
    }
    return this.update(id, r => {
      r.model.scaling = parsed.scaling;
    }).model;
  }

  /** The per-cluster worker cap, on the form's fields (`options`) or the scale request's. */
  private workerCapProblems(scaling: IScaling, options: boolean): IFieldError[] {
    const { maxWorkersPerCluster } = this.options.limits();
    const count = scaling.mode === 'fixed' ? scaling.workers : scaling.maximum;
    if (count <= maxWorkersPerCluster) {
      return [];
    }
    const field = scaling.mode === 'fixed' ? '/workers' : options ? '/adaptive_maximum' : '/maximum';
    return [
      {
        path: field,
        message: `${count} workers is more than the ${maxWorkersPerCluster} one cluster may have here (limits.maxWorkersPerCluster, set by your site or in Settings); use at most ${maxWorkersPerCluster}.`
      }
    ];
  }

  /**
   * Stop a cluster (`stopping`, with the model in state stopping), or forget
   * one that has already ended (`forgotten`).
   */
  remove(id: string, force = false): { outcome: 'stopping'; model: IClusterModel } | { outcome: 'forgotten' } {
    const foreign = this.options.registry.getForeign(id);
    if (foreign !== undefined) {
      return this.removeElsewhere(foreign, force);
    }
    const record = this.record(id);
    const runner = this.runners.get(id);
    if (ACTIVE_STATES.has(record.model.state) && runner !== undefined) {
      if (record.model.state !== 'stopping') {
        this.update(id, r => {
          r.model.state = 'stopping';
          // Set already when the companion stops it for a reason of its own.
          r.model.endReason ??= 'Stopped by you.';
        });
        void runner.stop();
      }
      return { outcome: 'stopping', model: record.model };
    }
    this.cleanup(record);
    rmSync(record.logFile, { force: true });
    this.options.registry.remove(id);
    return { outcome: 'forgotten' };
  }

  /**
   * Stop or forget a cluster of another JupyterLab server: on this host, by
   * asking its companion (whose socket only this user can open), which then
   * stops it as if its own user had; on another host, not from here.
   */
  private removeElsewhere(record: IClusterRecord, force: boolean): { outcome: 'stopping'; model: IClusterModel } {
    const owner = record.owner;
    const here = this.options.registry.owner.host;
    if (owner !== undefined && owner.host !== here && force) {
      return { outcome: 'stopping', model: this.stopFromAfar(record, owner) };
    }
    if (owner?.socket === undefined || owner.host !== here) {
      throw runsElsewhere(record);
    }
    void askPeer(owner.socket, 'DELETE', `/api/clusters/${encodeURIComponent(record.model.id)}`).catch(
      (error: unknown) =>
        console.error(`asking the companion of pid ${owner.pid} to stop ${record.model.id} failed: ${String(error)}`)
    );
    return { outcome: 'stopping', model: { ...record.model, state: 'stopping' } };
  }

  /**
   * Stop, on its user's explicit choice, a cluster whose JupyterLab runs on
   * another host: this companion takes the entry over as lost, so that its
   * batch jobs are cancelled from here; processes on that host stay out of reach.
   */
  private stopFromAfar(record: IClusterRecord, owner: IOwner): IClusterModel {
    const id = record.model.id;
    this.options.registry.takeOver(id);
    return this.update(id, r => {
      r.model.state = 'lost';
      r.model.error =
        `Stopped from ${this.options.registry.owner.host}: the JupyterLab on ${owner.host} (companion pid ${owner.pid}) that ran it ` +
        `cannot be reached from here. Its batch jobs are cancelled from here; processes it ran on ${owner.host} are not.`;
      this.clearLive(r);
    }).model;
  }

  /**
   * Take over a cluster that keeps running from the JupyterLab on this host
   * that runs it: that companion lets go of its runner, this one re-adopts it
   * over its control socket.
   */
  async adopt(id: string): Promise<IClusterModel> {
    const { registry } = this.options;
    const record = registry.getForeign(id);
    if (record === undefined) {
      const own = this.record(id);
      throw new ClusterError('conflict', 'already_yours', `Cluster "${own.model.name}" is already this JupyterLab's.`);
    }
    const owner = record.owner;
    if (owner?.socket === undefined || owner.host !== registry.owner.host) {
      throw new ClusterError(
        'conflict',
        'runs_elsewhere',
        `Cluster "${record.model.name}" runs in the JupyterLab on ${owner?.host ?? 'another host'}: only a JupyterLab on that host can adopt it. ` +
          'Stop it there, or stop it from here (its batch jobs are cancelled).'
      );
    }
    const answer = await askPeer(owner.socket, 'POST', `/api/clusters/${encodeURIComponent(id)}/release`, {
      owner: registry.owner
    });
    if (answer.status !== 200) {
      const said = isObject(answer.body) && typeof answer.body.message === 'string' ? answer.body.message : '';
      throw new ClusterError(
        'conflict',
        'not_released',
        said || `The JupyterLab of pid ${owner.pid} did not let it go.`
      );
    }
    registry.refresh();
    return this.record(id).model;
  }

  /**
   * Let the companion `to` of this host take cluster `id` over (its adopt):
   * only a cluster that keeps running can move, as its runner then listens
   * on its control socket.
   */
  release(id: string, to: unknown): IClusterModel {
    const { registry } = this.options;
    const record = this.record(id);
    const runner = this.runners.get(id);
    if (!isOwner(to) || to.host !== registry.owner.host) {
      throw invalidRequest([
        { path: '/owner', message: 'Send the adopting companion of this host as {"owner": {...}}.' }
      ]);
    }
    if (record.control === undefined || runner === undefined || record.model.state !== 'running') {
      throw new ClusterError(
        'conflict',
        'not_movable',
        `Cluster "${record.model.name}" ${record.model.state !== 'running' ? `is ${record.model.state}` : 'stops with its JupyterLab'}, ` +
          'so it cannot move to another one; stop it there and start a new one, or make it with Keep running.'
      );
    }
    runner.detach();
    this.runners.delete(id);
    clearTimeout(this.endTimers.get(id));
    this.endTimers.delete(id);
    const model = record.model;
    registry.handOver(id, to);
    return model;
  }

  /** The last lines of a cluster's runner log. */
  logTail(id: string): string[] {
    return readTail(this.record(id).logFile, LOG_TAIL_LINES);
  }

  /** Code that connects to a running cluster. */
  snippet(id: string): string {
    const record = this.record(id);
    if (record.model.state !== 'running' || record.model.schedulerAddress === undefined) {
      throw new ClusterError(
        'conflict',
        'not_running',
        `Cluster "${record.model.name}" is ${record.model.state}; there is nothing to connect to.`
      );
    }
    const link = record.model.hasDashboard ? `${this.options.baseUrl}dashboard/${id}/status` : undefined;
    return this.backend(record.model.type).snippet(record.model, link);
  }

  /**
   * Stop every cluster: runners close their clusters; whatever has not exited
   * after `timeoutMs` is killed with its process group.
   */
  async shutdown(timeoutMs = 20_000): Promise<void> {
    const running: [string, IRunner][] = [];
    for (const [id, runner] of this.runners) {
      const record = this.options.registry.get(id);
      if (record?.control !== undefined && record.model.state !== 'stopping') {
        // Its user chose that it keeps running: the next companion re-adopts it.
        runner.detach();
        clearTimeout(this.endTimers.get(id));
      } else {
        running.push([id, runner]);
      }
    }
    for (const [id, runner] of running) {
      if (this.options.registry.get(id)?.model.state !== 'stopping') {
        this.update(id, r => {
          r.model.state = 'stopping';
          r.model.endReason = 'Stopped because JupyterLab stopped.';
        });
      }
      void runner.stop();
    }
    const all = Promise.all(running.map(([, runner]) => runner.exited));
    const timer = new Promise<'timeout'>(resolve => setTimeout(() => resolve('timeout'), timeoutMs).unref());
    if ((await Promise.race([all, timer])) === 'timeout') {
      for (const [, runner] of running) {
        runner.kill();
      }
      await Promise.race([all, new Promise(resolve => setTimeout(resolve, 2_000).unref())]);
    }
  }

  /**
   * Account for clusters a previous companion left: they become `lost`, and
   * a runner of ours that is still alive is stopped with its process group.
   */
  reconcile(inspector: IProcessInspector): void {
    const { registry } = this.options;
    this.reconcileRecords(registry.list(), inspector);
    // Entries of another server of this host that stops later are reconciled when taken over.
    registry.orphaned.connect(records => this.reconcileRecords(records, inspector));
  }

  private reconcileRecords(records: IClusterRecord[], inspector: IProcessInspector): void {
    for (const action of planReconciliation(records, inspector, this.options.runnerPath)) {
      if (action.readopt !== undefined) {
        void this.readopt(action, action.readopt);
        continue;
      }
      this.markLost(action);
    }
  }

  /**
   * Take a runner that kept its cluster running back over its control
   * socket: same item, same scheduler, its state replayed. One that does not
   * answer is stopped and its cluster marked lost.
   */
  private async readopt(action: IReconcileAction, { control, pid }: { control: string; pid: number }): Promise<void> {
    let runner: AdoptedRunner;
    try {
      runner = await AdoptedRunner.connect(control, pid, {
        closeGraceMs: this.options.closeGraceMs,
        termGraceMs: this.options.termGraceMs
      });
    } catch (error) {
      console.error(`re-adopting the runner of ${action.id} on ${control} failed: ${String(error)}`);
      this.markLost(action);
      return;
    }
    const record = this.options.registry.get(action.id);
    if (record === undefined) {
      runner.detach();
      return;
    }
    this.follow(action.id, runner);
    if (record.model.state === 'stopping') {
      void runner.stop();
    } else {
      this.scheduleEnd(action.id, record.end);
    }
  }

  /** Mark a cluster a previous companion left lost, stopping a runner of ours that is still alive. */
  private markLost(action: IReconcileAction): void {
    const control = this.options.registry.get(action.id)?.control;
    const ended = action.killGroup === undefined && control !== undefined ? detachedEnd(control) : undefined;
    const record = this.update(action.id, r => {
      if (ended === undefined) {
        r.model.state = 'lost';
        r.model.error = action.error;
      } else {
        Object.assign(r.model, ended);
      }
      this.clearLive(r);
    });
    const pgid = action.killGroup;
    if (pgid === undefined) {
      this.finishLost(record);
      return;
    }
    // SIGTERM lets the runner close its cluster; SIGKILL whatever remains.
    killGroup(pgid, 'SIGTERM');
    setTimeout(() => {
      killGroup(pgid, 'SIGKILL');
      this.finishLost(record);
    }, 5_000).unref();
  }

  private finishLost(record: IClusterRecord): void {
    this.cleanup(record);
    if (this.options.registry.get(record.model.id) !== undefined) {
      this.update(record.model.id, r => {
        r.model.logTail = readTail(r.logFile, LOG_TAIL_LINES);
      });
    }
  }

  private onEvent(id: string, event: RunnerEvent): void {
    switch (event.event) {
      case 'started':
        this.update(id, record => {
          const { model } = record;
          if (model.state === 'starting') {
            model.state = 'running';
          }
          model.schedulerAddress = event.scheduler_address;
          record.dashboardUrl = event.dashboard_address ?? undefined;
          model.hasDashboard = event.dashboard_address !== null;
          if (event.dashboard_missing !== undefined) {
            record.dashboardNote = `No dashboard: ${event.dashboard_missing}. Install it there (pip install "bokeh>=3.1.0") to see the dashboard plots.`;
            showWarnings(record);
          }
          const tunnel =
            event.dashboard_address === null
              ? undefined
              : this.backend(model.type).tunnelCommand(event.dashboard_address);
          if (tunnel !== undefined) {
            model.tunnelCommand = tunnel;
          }
        });
        break;
      case 'workers':
        this.update(id, ({ model }) => {
          model.workers = event.workers;
          model.cores = event.cores;
          model.memory = event.memory;
        });
        break;
      case 'jobs':
        this.update(id, record => {
          record.jobIds = [...new Set([...(record.jobIds ?? []), ...event.jobs])];
          record.jobNames = { ...record.jobNames, ...event.names };
          const known = new Map(record.model.jobs.map(job => [job.id, job]));
          record.model.jobs = event.jobs.map(job => known.get(job) ?? { id: job, state: 'SUBMITTED' });
        });
        break;
      case 'warning':
        this.update(id, record => {
          record.runnerWarning = event.message ?? undefined;
          showWarnings(record);
        });
        break;
      case 'error':
        this.lastErrors.set(id, event.message);
        break;
      case 'ending':
        // The runner closes the cluster next; its exit then makes the item stopped, not failed.
        this.update(id, ({ model }) => {
          model.endReason = endingReason(event);
          if (model.state === 'starting' || model.state === 'running') {
            model.state = 'stopping';
          }
        });
        break;
      case 'hosting':
      case 'closed':
        break;
    }
  }

  private onExit(id: string, exit: IRunnerExit): void {
    this.runners.delete(id);
    clearTimeout(this.endTimers.get(id));
    this.endTimers.delete(id);
    const lastError = this.lastErrors.get(id);
    this.lastErrors.delete(id);
    const record = this.options.registry.get(id);
    if (record === undefined) {
      return;
    }
    const stopped = record.model.state === 'stopping' || exit.closed;
    this.update(id, r => {
      const { model } = r;
      this.clearLive(r);
      if (stopped) {
        model.state = 'stopped';
        delete model.error;
        delete model.logTail;
      } else {
        model.state = 'failed';
        model.error =
          lastError ??
          (exit.spawnError !== undefined
            ? `The runner could not be started: ${exit.spawnError}`
            : `The runner exited unexpectedly (${exit.signal !== null ? `killed by ${exit.signal}` : `exit code ${exit.code}`}).`);
        model.logTail = readTail(r.logFile, LOG_TAIL_LINES);
      }
    });
    this.cleanup(record);
  }

  /** Forget what only a live cluster has. */
  private clearLive(record: IClusterRecord): void {
    const { model } = record;
    model.workers = 0;
    model.cores = 0;
    model.memory = 0;
    model.hasDashboard = false;
    delete record.dashboardNote;
    delete record.runnerWarning;
    showWarnings(record);
    delete model.schedulerAddress;
    delete model.tunnelCommand;
    delete record.dashboardUrl;
    delete record.runnerPid;
  }

  private cleanup(record: IClusterRecord): void {
    for (const dir of record.workDirs) {
      removeDir(dir);
    }
  }

  private update(id: string, change: (record: IClusterRecord) => void): IClusterRecord {
    const record = this.options.registry.update(id, change);
    if (record === undefined) {
      throw unknownCluster(id);
    }
    return record;
  }

  private newId(): string {
    let id: string;
    do {
      id = randomBytes(4).toString('hex');
    } while (this.options.registry.get(id) !== undefined);
    return id;
  }

  private newName(type: string): string {
    const taken = new Set(this.list().map(model => model.name));
    let n = 1;
    while (taken.has(`${type} ${n}`)) {
      n += 1;
    }
    return `${type} ${n}`;
  }
}
