import { nullTranslator } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { Widget } from '@lumino/widgets';
import { LazyClusterSidebar } from '../sidebar/shell';
import { FakeManager } from './fixtures';

describe('LazyClusterSidebar', () => {
  it('has its tab from the start and loads its content when first shown', async () => {
    const manager = new FakeManager();
    const sidebar = new LazyClusterSidebar({ manager, commands: new CommandRegistry(), translator: nullTranslator });
    expect(sidebar.id).toBe('dask-clusters-sidebar');
    expect(sidebar.title.caption).toBe('Dask Clusters');
    expect(sidebar.title.icon).toBeDefined();
    // Added hidden, as JupyterLab's side bar adds it: nothing loads.
    sidebar.hide();
    Widget.attach(sidebar, document.body);
    expect(sidebar.widgets).toHaveLength(0);
    const load = jest.spyOn(sidebar, 'loadContent');
    expect(sidebar.widgets).toHaveLength(0);

    sidebar.show();
    expect(load).toHaveBeenCalledTimes(1);
    const content = await sidebar.loadContent();
    expect(sidebar.widgets).toEqual([content]);
    expect(content.id).toBe('dask-clusters-sidebar-content');
    expect(sidebar.node.querySelector('.jp-DaskClusters-list')).not.toBeNull();
    // Shown again: the same content.
    sidebar.hide();
    sidebar.show();
    expect(await sidebar.loadContent()).toBe(content);
    expect(sidebar.widgets).toHaveLength(1);
    sidebar.dispose();
  });
});
