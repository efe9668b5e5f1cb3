import type { JupyterFrontEnd } from '@jupyterlab/application';
import { resolveCluster } from '../commands';
import { FakeManager, makeCluster } from './fixtures';

/** No sidebar item under the pointer: the command came from the palette. */
const app = { contextMenuHitTest: () => undefined } as unknown as JupyterFrontEnd;

describe('resolveCluster from the palette', () => {
  it('takes the only eligible cluster, and refuses to guess between several', () => {
    const manager = new FakeManager();
    manager.emit({ kind: 'snapshot', clusters: [makeCluster({ id: 'a' })] });
    expect(resolveCluster(app, manager, {}, 'open-dashboard')?.id).toBe('a');
    manager.emit({ kind: 'snapshot', clusters: [makeCluster({ id: 'a' }), makeCluster({ id: 'b' })] });
    expect(resolveCluster(app, manager, {}, 'open-dashboard')).toBeUndefined();
  });

  it("prefers the focused notebook's own cluster", () => {
    const manager = new FakeManager();
    const origin = { kind: 'notebook' as const, path: 'a.ipynb', kernelId: 'k' };
    manager.emit({
      kind: 'snapshot',
      clusters: [
        makeCluster({ id: 'a' }),
        makeCluster({ id: 'k-1', origin: { ...origin, active: true } }),
        makeCluster({ id: 'k-2', origin })
      ]
    });
    expect(resolveCluster(app, manager, {}, 'open-dashboard')?.id).toBe('k-1');
    expect(resolveCluster(app, manager, { id: 'a' }, 'open-dashboard')?.id).toBe('a');
  });
});
