/** A modal confirmation (the page's <dialog>): resolves true when the user confirms. */
import { html, render } from 'lit';

export function confirmWrite(title: string, rows: { what: string; old: string; next: string }[]): Promise<boolean> {
  const dialog = document.getElementById('confirm') as HTMLDialogElement;
  return new Promise<boolean>((resolve) => {
    const done = (ok: boolean): void => {
      dialog.close();
      resolve(ok);
    };
    render(
      html`<h2 id="confirm-h">${title}</h2>
        <table class="confirm-table">
          <thead><tr><th scope="col">device</th><th scope="col">old</th><th scope="col"></th><th scope="col">new</th></tr></thead>
          <tbody>${rows.map((r) => html`<tr><td>${r.what}</td><td class="old">${r.old}</td><td aria-hidden="true">→</td><td class="new">${r.next}</td></tr>`)}</tbody>
        </table>
        <div class="dialog-buttons">
          <button id="confirm-ok" type="button" @click=${() => done(true)}>Write</button>
          <button id="confirm-cancel" type="button" @click=${() => done(false)}>Cancel</button>
        </div>`,
      dialog,
    );
    dialog.oncancel = () => resolve(false);
    dialog.showModal();
    (dialog.querySelector('#confirm-cancel') as HTMLButtonElement).focus();
  });
}
