import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import type {
  IClearedClusters,
  IClusterModel,
  IClusterType,
  ICompanionSettings,
  ICreateRequest,
  IEnvironment,
  IJobLog,
  IJobScript,
  IKernelDashboard,
  ILog,
  IPlot,
  IScaling,
  ISpareRequest,
  ISpareRunner,
  ISnippet
} from '../../protocol';
import { ApiError, errorFromResponse } from './errors';

/**
 * The path of the companion below the Jupyter server's base URL.
 */
export const SERVER_PREFIX = 'dask-clusters';

/**
 * REST client of the companion server; every call goes through `ServerConnection`.
 */
export class ClusterClient {
  /**
   * Create a client for the given server settings.
   */
  constructor(options: ClusterClient.IOptions = {}) {
    this.serverSettings = options.serverSettings ?? ServerConnection.makeSettings();
  }

  /**
   * The settings used for every request.
   */
  readonly serverSettings: ServerConnection.ISettings;

  /**
   * The cluster types, with `memoryReserve` passed on when the user set one.
   */
  types(memoryReserve = ''): Promise<IClusterType[]> {
    const query = memoryReserve ? URLExt.objectToQueryString({ memoryReserve }) : '';
    return this._request<IClusterType[]>('GET', 'types' + query);
  }

  /**
   * The Python environments a runner can use.
   */
  environments(): Promise<IEnvironment[]> {
    return this._request<IEnvironment[]>('GET', 'environments');
  }

  /**
   * Start a runner of `environment` ahead of a create, so that the create starts sooner.
   */
  spare(environment: string): Promise<ISpareRunner> {
    const request: ISpareRequest = { environment };
    return this._request<ISpareRunner>('POST', 'environments/spare', request);
  }

  /**
   * Every cluster the companion knows.
   */
  list(): Promise<IClusterModel[]> {
    return this._request<IClusterModel[]>('GET', 'clusters');
  }

  /**
   * Start a cluster.
   */
  create(request: ICreateRequest): Promise<IClusterModel> {
    return this._request<IClusterModel>('POST', 'clusters', request);
  }

  /**
   * One cluster.
   */
  get(id: string): Promise<IClusterModel> {
    return this._request<IClusterModel>('GET', this._clusterPath(id));
  }

  /**
   * Scale a cluster to a fixed size or adaptive bounds.
   */
  scale(id: string, scaling: IScaling): Promise<IClusterModel> {
    return this._request<IClusterModel>('POST', this._clusterPath(id, 'scale'), scaling);
  }

  /**
   * Stop a cluster; `null` when it had ended already and was removed.
   */
  stop(id: string, force = false): Promise<IClusterModel | null> {
    return this._request<IClusterModel | null>('DELETE', this._clusterPath(id) + (force ? '?force=true' : ''));
  }

  /**
   * Move here a cluster that keeps running from another JupyterLab server of this host.
   */
  adoptElsewhere(id: string): Promise<IClusterModel> {
    return this._request<IClusterModel>('POST', this._clusterPath(id, 'adopt'));
  }

  /**
   * Forget every ended cluster (never a live one); the ids of those forgotten.
   */
  async clearEnded(): Promise<string[]> {
    const answer = await this._request<IClearedClusters>('DELETE', 'clusters?ended=true');
    return answer.forgotten;
  }

  /**
   * The code that connects a kernel to a cluster.
   */
  snippet(id: string): Promise<ISnippet> {
    return this._request<ISnippet>('GET', this._clusterPath(id, 'snippet'));
  }

  /**
   * The individual dashboard plots of a cluster.
   */
  plots(id: string): Promise<IPlot[]> {
    return this._request<IPlot[]>('GET', this._clusterPath(id, 'plots'));
  }

  /**
   * The tail of a cluster's runner log.
   */
  log(id: string): Promise<ILog> {
    return this._request<ILog>('GET', this._clusterPath(id, 'log'));
  }

  /**
   * The job script a batch-job type would submit for a request (types whose `preview` is true).
   */
  preview(request: ICreateRequest): Promise<IJobScript> {
    return this._request<IJobScript>('POST', 'types/' + encodeURIComponent(request.type) + '/preview', request);
  }

  /**
   * The last lines of a batch job's output and error files.
   */
  jobLog(id: string, job: string): Promise<IJobLog> {
    return this._request<IJobLog>('GET', this._clusterPath(id, 'jobs/' + encodeURIComponent(job) + '/log'));
  }

  /**
   * Send the extension settings the companion needs; it answers with them normalized.
   */
  updateSettings(settings: ICompanionSettings): Promise<ICompanionSettings> {
    return this._request<ICompanionSettings>('PUT', 'settings', settings);
  }

  /**
   * Register the dashboard a kernel reported for one of its clusters, to be proxied at `dashboard/:id/`.
   */
  registerKernelDashboard(id: string, url: string): Promise<IKernelDashboard> {
    return this._request<IKernelDashboard>('PUT', this._kernelDashboardPath(id), { url });
  }

  /**
   * Stop proxying a kernel cluster's dashboard.
   */
  async forgetKernelDashboard(id: string): Promise<void> {
    await this._request<null>('DELETE', this._kernelDashboardPath(id));
  }

  /**
   * The individual dashboard plots of a kernel cluster.
   */
  kernelDashboardPlots(id: string): Promise<IPlot[]> {
    return this._request<IPlot[]>('GET', this._kernelDashboardPath(id) + '/plots');
  }

  /**
   * The proxied address of a dashboard page.
   */
  dashboardUrl(id: string, path: string): string {
    return URLExt.join(this.serverSettings.baseUrl, SERVER_PREFIX, 'dashboard', encodeURIComponent(id), path);
  }

  /**
   * The WebSocket address of the live event stream, with the token when the settings carry one.
   */
  eventsUrl(): string {
    const { wsUrl, token } = this.serverSettings;
    const url = URLExt.join(wsUrl, SERVER_PREFIX, 'api', 'events');
    return token ? url + URLExt.objectToQueryString({ token }) : url;
  }

  private _kernelDashboardPath(id: string): string {
    return 'kernel-dashboards/' + encodeURIComponent(id);
  }

  private _clusterPath(id: string, verb?: string): string {
    const path = 'clusters/' + encodeURIComponent(id);
    return verb ? path + '/' + verb : path;
  }

  private async _request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = URLExt.join(this.serverSettings.baseUrl, SERVER_PREFIX, 'api', path);
    const init: RequestInit = { method };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { 'Content-Type': 'application/json' };
    }
    let response: Response;
    try {
      response = await ServerConnection.makeRequest(url, init, this.serverSettings);
    } catch (reason) {
      // No answer at all: report it in the same shape as a server error.
      throw new ApiError(0, {
        error: 'network',
        message: reason instanceof Error ? reason.message : String(reason)
      });
    }
    if (!response.ok) {
      throw await errorFromResponse(response);
    }
    if (response.status === 204) {
      return null as T;
    }
    const text = await response.text();
    return (text ? JSON.parse(text) : null) as T;
  }
}

/**
 * The namespace of `ClusterClient` statics.
 */
export namespace ClusterClient {
  /**
   * Options of a client.
   */
  export interface IOptions {
    /**
     * Server settings; the page's defaults when absent.
     */
    serverSettings?: ServerConnection.ISettings;
  }
}
