import { NotebookModel } from '@jupyterlab/notebook';
import type { Notebook } from '@jupyterlab/notebook';
import { NBTestUtils } from '@jupyterlab/testutils';
import { Drag } from '@lumino/dragdrop';
import { MessageLoop } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import { snippetMimeData } from '../sidebar/drag';
import { CELLS_MIME, insertCodeBelow, snippetCells } from '../snippets';

const CODE = 'from dask.distributed import Client\nclient = Client("tls://10.0.0.5:8786")';

function makeNotebook(): Notebook {
  const notebook = NBTestUtils.createNotebook();
  const model = new NotebookModel();
  model.fromJSON({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: [
      { cell_type: 'markdown', source: '# Analysis', metadata: {} },
      { cell_type: 'code', source: 'import dask', metadata: {}, outputs: [], execution_count: null },
      { cell_type: 'code', source: 'df.head()', metadata: {}, outputs: [], execution_count: null }
    ]
  });
  notebook.model = model;
  Widget.attach(notebook, document.body);
  // Render the cells now rather than on the next animation frame.
  MessageLoop.flush();
  return notebook;
}

function sources(notebook: Notebook): string[] {
  return notebook.widgets.map(cell => cell.model.sharedModel.getSource());
}

describe('insertCodeBelow', () => {
  it('adds a new code cell below the active cell and activates it', () => {
    const notebook = makeNotebook();
    // A notebook whose new cells default to markdown still gets a code cell.
    notebook.notebookConfig = { ...notebook.notebookConfig, defaultCell: 'markdown' };
    notebook.activeCellIndex = 1;
    const index = insertCodeBelow(notebook, CODE);
    expect(index).toBe(2);
    expect(sources(notebook)).toEqual(['# Analysis', 'import dask', CODE, 'df.head()']);
    expect(notebook.widgets[2].model.type).toBe('code');
    expect(notebook.activeCellIndex).toBe(2);
    notebook.dispose();
  });

  it('appends below the last cell', () => {
    const notebook = makeNotebook();
    notebook.activeCellIndex = 2;
    insertCodeBelow(notebook, CODE);
    expect(sources(notebook)[3]).toBe(CODE);
    notebook.dispose();
  });
});

describe('dragging a cluster onto a notebook', () => {
  it('carries one code cell that the notebook inserts where it is dropped', () => {
    expect(snippetCells(CODE)).toEqual([
      { cell_type: 'code', source: CODE, metadata: {}, outputs: [], execution_count: null }
    ]);
    const notebook = makeNotebook();
    const drag = new Drag({
      mimeData: snippetMimeData(CODE),
      proposedAction: 'copy',
      supportedActions: 'copy',
      source: {}
    });
    expect(drag.mimeData.hasData(CELLS_MIME)).toBe(true);
    const target = notebook.widgets[2].node;
    const dragEvent = (type: 'lm-dragenter' | 'lm-dragover' | 'lm-drop') =>
      new Drag.Event(new MouseEvent('mousemove') as PointerEvent, {
        drag,
        related: null,
        type
      });
    // The pointer passes over the third cell, which the notebook marks as the drop target.
    target.dispatchEvent(dragEvent('lm-dragenter'));
    target.dispatchEvent(dragEvent('lm-dragover'));
    const drop = dragEvent('lm-drop');
    target.dispatchEvent(drop);
    expect(drop.dropAction).toBe('copy');
    expect(sources(notebook)).toEqual(['# Analysis', 'import dask', CODE, 'df.head()']);
    expect(notebook.widgets[2].model.type).toBe('code');
    drag.dispose();
    notebook.dispose();
  });
});
