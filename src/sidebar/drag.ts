import { MimeData } from '@lumino/coreutils';
import { Drag } from '@lumino/dragdrop';
import { CELLS_MIME, snippetCells } from '../snippets';

/**
 * How far the pointer moves before a press becomes a drag, in pixels.
 */
export const DRAG_THRESHOLD = 5;

/**
 * The data a dragged cluster carries: one code cell for notebooks, plain text for the rest.
 */
export function snippetMimeData(code: string): MimeData {
  const mimeData = new MimeData();
  mimeData.setData(CELLS_MIME, snippetCells(code));
  mimeData.setData('text/plain', code);
  return mimeData;
}

/**
 * Start dragging a cluster's client code from a press on its item; the notebook makes the cell where it is dropped.
 *
 * `getCode` is asked once the pointer has moved far enough; without code nothing is dragged.
 */
export function trackSnippetDrag(
  press: { clientX: number; clientY: number },
  options: { getCode: () => string | undefined; label: string; source: unknown }
): void {
  const { clientX: startX, clientY: startY } = press;
  const stop = () => {
    document.removeEventListener('mousemove', onMove, true);
    document.removeEventListener('mouseup', stop, true);
  };
  const onMove = (event: MouseEvent) => {
    const dx = Math.abs(event.clientX - startX);
    const dy = Math.abs(event.clientY - startY);
    if (dx < DRAG_THRESHOLD && dy < DRAG_THRESHOLD) {
      return;
    }
    stop();
    const code = options.getCode();
    if (!code) {
      return;
    }
    const dragImage = document.createElement('div');
    dragImage.className = 'jp-DaskClusters-dragImage';
    dragImage.textContent = options.label;
    const drag = new Drag({
      mimeData: snippetMimeData(code),
      dragImage,
      proposedAction: 'copy',
      supportedActions: 'copy',
      source: options.source
    });
    void drag.start(event.clientX, event.clientY);
  };
  document.addEventListener('mousemove', onMove, true);
  document.addEventListener('mouseup', stop, true);
}
