import type { TranslationBundle } from '@jupyterlab/translation';
import { LabIcon } from '@jupyterlab/ui-components';
import React, { useEffect } from 'react';
import type { IClusterModel, IClusterOwner } from '../../protocol';
import { CommandIDs, ITEM_CLASS } from '../commands';
import { formatBytes, formatStart, scalingLabel, stateLabel } from '../format';
import warningSvg from '../../style/icons/warning.svg';
import { daskIcon } from '../icons';
import type { ClusterAction } from '../lifecycle';
import { canPerform, isEnded } from '../lifecycle';
import type { IItemContext } from './context';
import { trackSnippetDrag } from './drag';
import { ClusterTimeLeft, CommandButton, JobTable } from './jobs';
import { PlotButtons } from './plots';

/**
 * The icon beside a live cluster's warning, in the theme's warning colour.
 */
const warningIcon = new LabIcon({
  name: 'jupyterlab-dask-clusters:warning',
  svgstr: warningSvg
});

export type { IItemContext } from './context';

/**
 * The actions of an item, in the order of its buttons, with their command, class and short visible text.
 */
const ACTIONS: ReadonlyArray<{
  action: ClusterAction;
  command: string;
  className: string;
  text: (trans: TranslationBundle) => string;
}> = [
  {
    action: 'insert-code',
    command: CommandIDs.insertCode,
    className: 'jp-DaskClusters-insert',
    text: trans => trans.__('Code')
  },
  {
    action: 'scale',
    command: CommandIDs.scale,
    className: 'jp-DaskClusters-scale',
    text: trans => trans.__('Scale')
  },
  {
    action: 'copy-tunnel',
    command: CommandIDs.copyTunnel,
    className: 'jp-DaskClusters-tunnel',
    text: trans => trans.__('Tunnel')
  },
  {
    action: 'stop',
    command: CommandIDs.stop,
    className: 'jp-DaskClusters-stop',
    text: trans => trans.__('Stop')
  },
  {
    action: 'adopt-elsewhere',
    command: CommandIDs.adoptElsewhere,
    className: 'jp-DaskClusters-adoptElsewhere',
    text: trans => trans.__('Adopt')
  },
  {
    action: 'dismiss',
    command: CommandIDs.dismiss,
    className: 'jp-DaskClusters-dismiss',
    text: trans => trans.__('Clear')
  }
];

/**
 * One cluster in the sidebar: state, counts, jobs, problems, plots and actions; draggable onto a notebook.
 */
export function ClusterItem(props: { cluster: IClusterModel; context: IItemContext }): JSX.Element {
  const { cluster, context } = props;
  const { manager, trans } = context;
  const running = cluster.state === 'running';
  // Not for another JupyterLab's cluster, whose code only that JupyterLab gives.
  const draggable = canPerform('insert-code', cluster);

  useEffect(() => {
    // Fetch the code ahead, so a drag can carry it the moment it starts.
    if (draggable) {
      manager.snippet(cluster.id).catch(() => undefined);
    }
  }, [cluster.id, draggable, manager]);

  const onMouseDown = (event: React.MouseEvent) => {
    const target = event.target as HTMLElement;
    if (event.button !== 0 || !draggable || target.closest('button, a, input, select, textarea')) {
      return;
    }
    trackSnippetDrag(event, {
      getCode: () => manager.cachedSnippet(cluster.id),
      label: cluster.name,
      source: manager
    });
  };

  return (
    <li
      className={[ITEM_CLASS, cluster.warning && 'jp-mod-warning', cluster.elsewhere && 'jp-mod-elsewhere']
        .filter(Boolean)
        .join(' ')}
      data-cluster-id={cluster.id}
      data-state={cluster.state}
      data-active-notebook={cluster.origin?.active ? 'true' : undefined}
      title={draggable ? trans.__('Drag onto a notebook to insert the client code') : undefined}
      onMouseDown={onMouseDown}
    >
      <Header cluster={cluster} trans={trans} />
      {cluster.elsewhere && <Elsewhere cluster={cluster} owner={cluster.elsewhere} trans={trans} />}
      <div className="jp-DaskClusters-meta">
        <span className="jp-DaskClusters-type">{cluster.type}</span>
        <span className="jp-DaskClusters-environment" title={cluster.environment.python}>
          {cluster.environment.label}
        </span>
        <span className="jp-DaskClusters-scaling">{scalingLabel(trans, cluster.scaling)}</span>
      </div>
      <div className="jp-DaskClusters-counts">
        <Count
          className="jp-DaskClusters-workers"
          value={String(cluster.workers)}
          label={trans._n('worker', 'workers', cluster.workers)}
        />
        <Count
          className="jp-DaskClusters-cores"
          value={String(cluster.cores)}
          label={trans._n('core', 'cores', cluster.cores)}
        />
        <Count className="jp-DaskClusters-memory" value={formatBytes(cluster.memory)} label={trans.__('memory')} />
        {running && <ClusterTimeLeft cluster={cluster} trans={trans} />}
      </div>
      {running && cluster.idleTimeout !== undefined && (
        <div className="jp-DaskClusters-idleTimeout">
          {trans.__('Stops after %1 min without tasks', cluster.idleTimeout)}
        </div>
      )}
      {cluster.warning && <Warning text={cluster.warning} trans={trans} />}
      {cluster.jobsNote && <Warning text={cluster.jobsNote} trans={trans} />}
      {cluster.jobs.length > 0 && (
        <JobTable
          clusterId={cluster.id}
          jobs={cluster.jobs}
          commands={context.commands}
          trans={trans}
          logs={canPerform('job-log', cluster)}
        />
      )}
      {(cluster.state === 'failed' || cluster.state === 'lost') && <Problem cluster={cluster} trans={trans} />}
      {endNote(cluster) && <div className="jp-DaskClusters-endReason">{endNote(cluster)}</div>}
      <Actions cluster={cluster} context={context} />
      {canPerform('open-dashboard', cluster) && <PlotButtons cluster={cluster} context={context} />}
    </li>
  );
}

/**
 * Why an ended cluster ended, when the problem box does not already say it.
 */
function endNote(cluster: IClusterModel): string | undefined {
  if (!isEnded(cluster.state) || !cluster.endReason) {
    return undefined;
  }
  const problem = cluster.state !== 'stopped';
  return problem && (!cluster.error || cluster.error === cluster.endReason) ? undefined : cluster.endReason;
}

/**
 * The item's first line: icon, name, what is particular about the cluster, and its state.
 */
function Header(props: { cluster: IClusterModel; trans: TranslationBundle }): JSX.Element {
  const { cluster, trans } = props;
  return (
    <div className="jp-DaskClusters-itemHeader">
      <daskIcon.react tag="span" className="jp-DaskClusters-itemIcon" />
      <span className="jp-DaskClusters-name" title={cluster.id}>
        {cluster.name}
      </span>
      {cluster.keepRunning && (
        <Badge
          className="jp-DaskClusters-keepRunning"
          text={trans.__('keeps running')}
          title={trans.__('Keeps running after JupyterLab stops; the next JupyterLab re-adopts it')}
        />
      )}
      {cluster.elsewhere && (
        <Badge
          className="jp-DaskClusters-elsewhereBadge"
          text={trans.__('elsewhere')}
          title={trans.__('Managed by another JupyterLab server of yours')}
        />
      )}
      <span className="jp-DaskClusters-state" data-state={cluster.state}>
        {stateLabel(trans, cluster.state)}
      </span>
    </div>
  );
}

/**
 * A small label beside the name, explained by its tooltip.
 */
function Badge(props: { className: string; text: string; title: string }): JSX.Element {
  return (
    <span className={`jp-DaskClusters-badge ${props.className}`} title={props.title}>
      {props.text}
    </span>
  );
}

/**
 * Which JupyterLab server runs a cluster this one only shows, and since when.
 */
function Elsewhere(props: { cluster: IClusterModel; owner: IClusterOwner; trans: TranslationBundle }): JSX.Element {
  const { cluster, owner, trans } = props;
  const since = formatStart(owner.since);
  // The host as the companion names it (it tells whether it is this server's own: sameHost).
  const where = since ? trans.__('%1, since %2', owner.host, since) : owner.host;
  return (
    <div
      className="jp-DaskClusters-elsewhere"
      title={trans.__(
        'Companion pid %1 on %2, started %3. Scale it, get its code and open its dashboard there.',
        owner.pid,
        owner.host,
        owner.since
      )}
    >
      {isEnded(cluster.state)
        ? trans.__('Managed by another JupyterLab (%1)', where)
        : trans.__('Running in another JupyterLab (%1)', where)}
    </div>
  );
}

/**
 * A live count: the number alone in its own element, the unit beside it.
 */
function Count(props: { className: string; value: string; label: string }): JSX.Element {
  return (
    <span className="jp-DaskClusters-count">
      <span className={props.className}>{props.value}</span>{' '}
      <span className="jp-DaskClusters-countLabel">{props.label}</span>
    </span>
  );
}

/**
 * What the companion says is wrong with a live cluster, so "running, 0 workers" does not read as fine.
 */
function Warning(props: { text: string; trans: TranslationBundle }): JSX.Element {
  return (
    <div className="jp-DaskClusters-warning" role="alert" aria-label={props.trans.__('Warning: %1', props.text)}>
      <warningIcon.react tag="span" className="jp-DaskClusters-warningIcon" />
      <span className="jp-DaskClusters-warningText">{props.text}</span>
    </div>
  );
}

/**
 * Why a cluster failed or was lost, and the end of its log.
 */
function Problem(props: { cluster: IClusterModel; trans: TranslationBundle }): JSX.Element {
  const { cluster, trans } = props;
  return (
    <div className="jp-DaskClusters-problem">
      <div className="jp-DaskClusters-error" role="alert">
        {cluster.error ||
          cluster.endReason ||
          (cluster.state === 'lost' ? trans.__('The cluster process vanished.') : trans.__('The cluster failed.'))}
      </div>
      {cluster.logTail && cluster.logTail.length > 0 && (
        <pre className="jp-DaskClusters-log">{cluster.logTail.join('\n')}</pre>
      )}
    </div>
  );
}

/**
 * The action buttons that apply to the cluster's state.
 */
function Actions(props: { cluster: IClusterModel; context: IItemContext }): JSX.Element {
  const { cluster, context } = props;
  const { commands } = context;
  return (
    <div className="jp-DaskClusters-actions">
      {ACTIONS.filter(a => canPerform(a.action, cluster) && commands.hasCommand(a.command)).map(a => (
        <CommandButton
          key={a.action}
          commands={commands}
          command={a.command}
          args={{ id: cluster.id }}
          className={`jp-DaskClusters-action ${a.className}`}
          text={a.text(context.trans)}
        />
      ))}
    </div>
  );
}
