import type { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import type { Message } from '@lumino/messaging';
import type { ISignal } from '@lumino/signaling';
import { Signal } from '@lumino/signaling';
import React from 'react';
import type { IJob, IJobLog } from '../../protocol';
import type { IDaskClusterManager } from '../tokens';
import '../../style/base.css';

/**
 * The output and error files of one batch job, re-read while someone looks at them.
 */
export class JobLogModel {
  /**
   * Create the model of a job's log; nothing is read until `refresh`.
   */
  constructor(options: JobLogModel.IOptions) {
    this.clusterId = options.clusterId;
    this.job = options.job;
    this._manager = options.manager;
  }

  /**
   * The cluster the job belongs to.
   */
  readonly clusterId: string;

  /**
   * The SLURM (or other batch system) job id.
   */
  readonly job: string;

  /**
   * Emitted when the log, the message or the job changed.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * The last lines read, if any.
   */
  get log(): IJobLog | null {
    return this._log;
  }

  /**
   * Why the last read failed, or "".
   */
  get message(): string {
    return this._message;
  }

  /**
   * The job as the event stream last told it; undefined once it left the cluster.
   */
  get jobModel(): IJob | undefined {
    return this._manager.get(this.clusterId)?.jobs.find(j => j.id === this.job);
  }

  /**
   * Read the files again (a read already under way is not repeated).
   */
  async refresh(): Promise<void> {
    if (this._loading) {
      return;
    }
    this._loading = true;
    try {
      this._log = await this._manager.client.jobLog(this.clusterId, this.job);
      this._message = '';
    } catch (error) {
      // Keep the lines already shown: the job may have left the queue since.
      this._message = error instanceof Error ? error.message : String(error);
    } finally {
      this._loading = false;
    }
    this._changed.emit();
  }

  /**
   * Tell listeners the job changed (state, node) without reading the files.
   */
  jobChanged(): void {
    this._changed.emit();
  }

  private _manager: IDaskClusterManager;
  private _log: IJobLog | null = null;
  private _message = '';
  private _loading = false;
  private _changed = new Signal<this, void>(this);
}

/**
 * The namespace of `JobLogModel` statics.
 */
export namespace JobLogModel {
  /**
   * Options of a job log model.
   */
  export interface IOptions {
    manager: IDaskClusterManager;
    clusterId: string;
    job: string;
  }
}

/**
 * A view of a job's last output and error lines; reads them again on job events and on a slow timer, only while shown.
 */
export class JobLogView extends ReactWidget {
  /**
   * Create the view of a model.
   */
  constructor(options: JobLogView.IOptions) {
    super();
    this.model = options.model;
    this._manager = options.manager;
    this._trans = options.trans;
    this._intervalMs = options.intervalMs ?? 5000;
    this.addClass('jp-DaskClusters-jobLogView');
    this._lastJob = JSON.stringify(this.model.jobModel ?? null);
    this._manager.changed.connect(this._onManagerChanged, this);
  }

  /**
   * What the view shows.
   */
  readonly model: JobLogModel;

  /**
   * Stop following the manager and the timer.
   */
  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._stopTimer();
    this._manager.changed.disconnect(this._onManagerChanged, this);
    super.dispose();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    void this.model.refresh();
    this._startTimer();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    if (this.isVisible) {
      void this.model.refresh();
      this._startTimer();
    }
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this._stopTimer();
  }

  protected onBeforeDetach(msg: Message): void {
    this._stopTimer();
    super.onBeforeDetach(msg);
  }

  protected render(): JSX.Element {
    return (
      <UseSignal signal={this.model.changed}>
        {() => <JobLogContent model={this.model} trans={this._trans} />}
      </UseSignal>
    );
  }

  private _onManagerChanged(): void {
    const job = JSON.stringify(this.model.jobModel ?? null);
    if (job === this._lastJob) {
      return;
    }
    this._lastJob = job;
    // A job that starts, moves or ends writes something worth reading.
    this.model.jobChanged();
    if (this.isVisible) {
      void this.model.refresh();
    }
  }

  private _startTimer(): void {
    if (this._timer === undefined) {
      this._timer = setInterval(() => void this.model.refresh(), this._intervalMs);
    }
  }

  private _stopTimer(): void {
    if (this._timer !== undefined) {
      clearInterval(this._timer);
      this._timer = undefined;
    }
  }

  private _manager: IDaskClusterManager;
  private _trans: TranslationBundle;
  private _intervalMs: number;
  private _lastJob: string;
  private _timer: ReturnType<typeof setInterval> | undefined = undefined;
}

/**
 * The namespace of `JobLogView` statics.
 */
export namespace JobLogView {
  /**
   * Options of a job log view.
   */
  export interface IOptions {
    model: JobLogModel;
    manager: IDaskClusterManager;
    trans: TranslationBundle;
    /**
     * Milliseconds between two reads while shown (default 5000).
     */
    intervalMs?: number;
  }
}

/**
 * The job's state and both files' last lines.
 */
function JobLogContent(props: { model: JobLogModel; trans: TranslationBundle }): JSX.Element {
  const { model, trans } = props;
  const job = model.jobModel;
  const log = model.log;
  return (
    <div className="jp-DaskClusters-jobLogContent">
      <div className="jp-DaskClusters-jobLogHeader">
        {job
          ? trans.__(
              'Job %1: %2%3',
              model.job,
              job.state,
              job.node ? trans.__(' on %1', job.node) : job.reason ? trans.__(' (%1)', job.reason) : ''
            )
          : trans.__('Job %1: no longer in the cluster', model.job)}
      </div>
      {model.message && (
        <div className="jp-DaskClusters-error" role="alert">
          {model.message}
        </div>
      )}
      {log === null && !model.message && <div>{trans.__('Reading…')}</div>}
      {log && (
        <>
          <JobLogFile
            className="jp-DaskClusters-jobStderr"
            title={trans.__('Error output')}
            file={log.stderr}
            trans={trans}
          />
          <JobLogFile
            className="jp-DaskClusters-jobStdout"
            title={trans.__('Output')}
            file={log.stdout}
            trans={trans}
          />
        </>
      )}
    </div>
  );
}

/**
 * One file: its path and its last lines.
 */
function JobLogFile(props: {
  className: string;
  title: string;
  file: IJobLog['stdout'];
  trans: TranslationBundle;
}): JSX.Element {
  const { className, title, file, trans } = props;
  return (
    <section className={`jp-DaskClusters-jobLogFile ${className}`}>
      <h3>
        {title} <span className="jp-DaskClusters-jobLogPath">{file.path ?? trans.__('(no file)')}</span>
      </h3>
      <pre className="jp-DaskClusters-log">{file.lines.length > 0 ? file.lines.join('\n') : trans.__('(empty)')}</pre>
    </section>
  );
}
