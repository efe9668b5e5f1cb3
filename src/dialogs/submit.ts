import { Dialog } from '@jupyterlab/apputils';
import type { ISignal } from '@lumino/signaling';

/**
 * The body of a dialog that sends its value somewhere and shows what went wrong.
 */
export interface ISubmitBody<T> extends Dialog.IBodyWidget<T> {
  /**
   * The value to send.
   */
  getValue(): T;

  /**
   * Show why sending failed, next to the fields where possible.
   */
  showError(error: unknown): void;

  /**
   * Whether the accept action should send now (e.g. not while typing in a side field).
   */
  canSubmit?(): boolean;

  /**
   * Why the value cannot be sent now (a field the form finds wrong), or null when it can.
   */
  invalidReason?(): string | null;

  /**
   * Emitted when `invalidReason` may say something else.
   */
  readonly validityChanged?: ISignal<unknown, void>;
}

let blockedIds = 0;

/**
 * A dialog that stays open until its value was accepted by `submit`, so a refused request loses nothing.
 */
export class SubmitDialog<T, R> extends Dialog<T> {
  /**
   * Create the dialog; `launch()` it as any other.
   */
  constructor(options: SubmitDialog.IOptions<T, R>) {
    const buttons = [
      Dialog.cancelButton({ label: options.cancelLabel }),
      Dialog.okButton({ label: options.acceptLabel })
    ];
    super({
      title: options.title,
      body: options.body,
      buttons,
      defaultButton: buttons.length - 1,
      hasClose: true
    });
    this._buttonList = buttons;
    this._submitBody = options.body;
    this._submit = options.submit;
    this.addClass('jp-DaskClusters-dialog');
    // Why the accept button is unavailable, next to it: read with the button
    // (aria-describedby), which stays focusable so keyboards reach it.
    this._blocked.id = `jp-DaskClusters-blocked-${++blockedIds}`;
    this._blocked.className = 'jp-DaskClusters-blocked';
    this._blocked.setAttribute('aria-live', 'polite');
    this.node.querySelector('.jp-Dialog-footer')?.insertAdjacentElement('afterbegin', this._blocked);
    options.body.validityChanged?.connect(this._updateValidity, this);
    this._updateValidity();
  }

  /**
   * Stop following the body's validity.
   */
  dispose(): void {
    this._submitBody.validityChanged?.disconnect(this._updateValidity, this);
    super.dispose();
  }

  /**
   * What `submit` returned, once it succeeded.
   */
  get result(): R | undefined {
    return this._result;
  }

  /**
   * Resolve the dialog; an accept first goes through `submit` and resolves only if it succeeds.
   */
  resolve(index?: number): void {
    const button = this._buttonList[index ?? this._buttonList.length - 1];
    if (!button?.accept || this._done) {
      super.resolve(index);
      return;
    }
    if (this._pending) {
      return;
    }
    if (this._submitBody.canSubmit && !this._submitBody.canSubmit()) {
      return;
    }
    if (this._submitBody.invalidReason?.()) {
      return;
    }
    let value: T;
    try {
      value = this._submitBody.getValue();
    } catch (error) {
      this._submitBody.showError(error);
      return;
    }
    this._setPending(true);
    this._submit(value).then(
      result => {
        this._result = result;
        this._done = true;
        this._setPending(false);
        super.resolve(index);
      },
      error => {
        this._setPending(false);
        this._submitBody.showError(error);
      }
    );
  }

  private _updateValidity(): void {
    const reason = this._submitBody.invalidReason?.() ?? null;
    this._blocked.textContent = reason ?? '';
    this.node.querySelectorAll<HTMLButtonElement>('.jp-Dialog-button.jp-mod-accept').forEach(node => {
      if (reason) {
        node.setAttribute('aria-disabled', 'true');
        node.setAttribute('aria-describedby', this._blocked.id);
        node.title = reason;
      } else {
        node.removeAttribute('aria-disabled');
        node.removeAttribute('aria-describedby');
        node.title = '';
      }
    });
  }

  private _setPending(pending: boolean): void {
    this._pending = pending;
    this.toggleClass('jp-mod-submitting', pending);
    const accept = this.node.querySelectorAll<HTMLButtonElement>('.jp-Dialog-button.jp-mod-accept');
    accept.forEach(node => {
      node.disabled = pending;
    });
  }

  private _blocked = document.createElement('div');
  private _buttonList: Dialog.IButton[];
  private _submitBody: ISubmitBody<T>;
  private _submit: (value: T) => Promise<R>;
  private _pending = false;
  private _done = false;
  private _result: R | undefined = undefined;
}

/**
 * The namespace of `SubmitDialog` statics.
 */
export namespace SubmitDialog {
  /**
   * Options of a submit dialog.
   */
  export interface IOptions<T, R> {
    title: string;
    body: ISubmitBody<T>;
    acceptLabel: string;
    cancelLabel: string;
    submit: (value: T) => Promise<R>;
  }

  /**
   * Show a submit dialog; the result of `submit`, or `null` when the user cancelled.
   */
  export async function show<T, R>(options: IOptions<T, R>): Promise<R | null> {
    const dialog = new SubmitDialog<T, R>(options);
    const answer = await dialog.launch();
    const result = dialog.result;
    return answer.button.accept && result !== undefined ? result : null;
  }
}
