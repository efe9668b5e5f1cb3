import type { TranslationBundle } from '@jupyterlab/translation';
import { LabIcon } from '@jupyterlab/ui-components';
import type { CommandRegistry } from '@lumino/commands';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import React, { useEffect, useState } from 'react';
import type { IClusterModel, IJob } from '../../protocol';
import { CommandIDs } from '../commands';
import { clusterEndsAt, formatDuration, secondsLeft } from '../jobs/time';

/**
 * The current time, re-read every `intervalMs` while `active`: redraws countdowns without asking the server.
 */
export function useClock(active: boolean, intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) {
      return;
    }
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [active, intervalMs]);
  return now;
}

/**
 * The time until a cluster ends, as a count beside workers and cores: when
 * the companion stops it (its `endsAt`, e.g. before the batch job JupyterLab
 * runs in ends), or when its first job reaches its walltime, whichever comes first.
 */
export function ClusterTimeLeft(props: { cluster: IClusterModel; trans: TranslationBundle }): JSX.Element | null {
  const { cluster, trans } = props;
  const jobsEnd = clusterEndsAt(cluster.jobs);
  const own = cluster.endsAt;
  const first = own !== undefined && (jobsEnd === undefined || Date.parse(own) <= Date.parse(jobsEnd));
  const endsAt = first ? own : jobsEnd;
  const now = useClock(endsAt !== undefined);
  const left = secondsLeft(endsAt, now);
  if (left === undefined) {
    return null;
  }
  const why =
    first && cluster.endsWhy !== undefined
      ? trans.__('Until it stops before %1', cluster.endsWhy)
      : trans.__('Until the first job reaches its walltime');
  return (
    <span className="jp-DaskClusters-count" title={why}>
      <span className="jp-DaskClusters-timeLeft">{formatDuration(left)}</span>{' '}
      <span className="jp-DaskClusters-countLabel">{trans.__('left')}</span>
    </span>
  );
}

/**
 * The batch jobs behind a cluster: state, why it waits, where it runs, time left, and its log.
 */
export function JobTable(props: {
  clusterId: string;
  jobs: ReadonlyArray<IJob>;
  commands: CommandRegistry;
  trans: TranslationBundle;
  /**
   * Whether the jobs' logs can be read from here (not for another JupyterLab's cluster); true when absent.
   */
  logs?: boolean;
}): JSX.Element {
  const { clusterId, jobs, commands, trans } = props;
  const now = useClock(jobs.some(job => job.endsAt !== undefined));
  const canOpenLog = props.logs !== false && commands.hasCommand(CommandIDs.jobLog);
  return (
    <table className="jp-DaskClusters-jobs">
      <thead>
        <tr>
          <th>{trans.__('Job')}</th>
          <th>{trans.__('State')}</th>
          <th>{trans.__('Reason or node')}</th>
          <th>{trans.__('Left')}</th>
          {canOpenLog && <th aria-label={trans.__('Log')} />}
        </tr>
      </thead>
      <tbody>
        {jobs.map(job => {
          const left = secondsLeft(job.endsAt, now);
          return (
            <tr key={job.id} className="jp-DaskClusters-job" data-job-id={job.id} data-job-state={job.state}>
              <td className="jp-DaskClusters-jobId">{job.id}</td>
              <td className="jp-DaskClusters-jobState">{job.state}</td>
              <td
                className={job.node ? 'jp-DaskClusters-jobNode' : 'jp-DaskClusters-jobReason'}
                // A reason is why a job waits, or how it ended: the text says which.
                title={job.node ? trans.__('Runs on %1', job.node) : job.reason}
              >
                {job.node ?? job.reason ?? ''}
              </td>
              <td className="jp-DaskClusters-jobLeft">{left === undefined ? '' : formatDuration(left)}</td>
              {canOpenLog && (
                <td>
                  <CommandButton
                    commands={commands}
                    command={CommandIDs.jobLog}
                    args={{ id: clusterId, job: job.id }}
                    className="jp-DaskClusters-jobLog"
                  />
                </td>
              )}
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/**
 * A small button that runs a command with arguments: its icon and `text` (or its label), named by its label, its caption as tooltip.
 */
export function CommandButton(props: {
  commands: CommandRegistry;
  command: string;
  args: ReadonlyPartialJSONObject;
  className: string;
  /**
   * A short visible text beside the icon; the icon alone when absent.
   */
  text?: string;
}): JSX.Element {
  const { commands, command, args, className, text } = props;
  const label = commands.label(command, args);
  const caption = commands.caption(command, args);
  const icon = commands.icon(command, args);
  return (
    <button
      type="button"
      className={`jp-Button jp-mod-minimal ${className}`}
      title={caption && caption !== label ? `${label}: ${caption}` : label}
      aria-label={label}
      onClick={() => void commands.execute(command, args)}
    >
      {icon instanceof LabIcon && <icon.react tag="span" className="jp-DaskClusters-actionIcon" />}
      {(text || !(icon instanceof LabIcon)) && <span className="jp-DaskClusters-actionText">{text || label}</span>}
    </button>
  );
}
