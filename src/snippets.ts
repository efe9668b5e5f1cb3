import type { CodeConsole } from '@jupyterlab/console';
import type * as nbformat from '@jupyterlab/nbformat';
import type { Notebook } from '@jupyterlab/notebook';

/**
 * The MIME type of cells dragged between notebooks; a notebook inserts them where they are dropped.
 */
export const CELLS_MIME = 'application/vnd.jupyter.cells';

/**
 * One code cell holding the snippet, as dragged cells are carried.
 */
export function snippetCells(code: string): nbformat.ICodeCell[] {
  return [
    {
      cell_type: 'code',
      source: code,
      metadata: {},
      outputs: [],
      execution_count: null
    }
  ];
}

/**
 * Insert a new code cell with the snippet below the active cell and make it active; returns its index.
 */
export function insertCodeBelow(notebook: Notebook, code: string): number {
  const model = notebook.model;
  if (!model) {
    throw new Error('The notebook has no model.');
  }
  const active = notebook.activeCellIndex;
  const index = active >= 0 ? active + 1 : model.cells.length;
  // A new cell, whatever the notebook's default cell type is.
  model.sharedModel.insertCell(index, {
    cell_type: 'code',
    source: code,
    metadata: {}
  });
  notebook.deselectAll();
  notebook.activeCellIndex = index;
  return index;
}

/**
 * Put the snippet in a console's prompt cell, ready to run.
 */
export function putInConsole(console: CodeConsole, code: string): boolean {
  const prompt = console.promptCell;
  if (!prompt) {
    return false;
  }
  prompt.model.sharedModel.setSource(code);
  return true;
}
