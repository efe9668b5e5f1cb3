import type { ConsolePanel, IConsoleTracker } from '@jupyterlab/console';
import type { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { Signal } from '@lumino/signaling';
import { LastFocused } from '../target';

/**
 * Just enough of a widget tracker: a current widget and its change signal.
 */
class FakeTracker<T> {
  currentWidget: T | null = null;
  readonly currentChanged = new Signal<this, T | null>(this);
  focus(widget: T | null): void {
    this.currentWidget = widget;
    this.currentChanged.emit(widget);
  }
}

function panel(kernel: string | null, preferred?: string) {
  return {
    id: `panel-${kernel}`,
    sessionContext: {
      session: kernel ? { kernel: { name: kernel } } : null,
      kernelPreference: { name: preferred }
    }
  };
}

describe('LastFocused', () => {
  it('follows whichever of notebook and console was focused last', () => {
    const notebooks = new FakeTracker<NotebookPanel>();
    const consoles = new FakeTracker<ConsolePanel>();
    const target = new LastFocused(notebooks as unknown as INotebookTracker, consoles as unknown as IConsoleTracker);
    expect(target.current).toBeNull();
    expect(target.kernelName()).toBeNull();

    const notebook = panel('science') as unknown as NotebookPanel;
    const console = panel(null, 'gpu') as unknown as ConsolePanel;
    notebooks.focus(notebook);
    expect(target.current).toEqual({ kind: 'notebook', panel: notebook });
    expect(target.kernelName()).toBe('science');

    consoles.focus(console);
    expect(target.current).toEqual({ kind: 'console', panel: console });
    // No session yet: the kernel the console will start.
    expect(target.kernelName()).toBe('gpu');

    notebooks.focus(notebook);
    expect(target.current?.kind).toBe('notebook');

    // The notebook closed: the console is what is left.
    notebooks.focus(null);
    expect(target.current?.kind).toBe('console');
    target.dispose();
  });

  it('works without trackers', () => {
    expect(new LastFocused(null, null).current).toBeNull();
  });
});
