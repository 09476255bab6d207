// Small enhancements only: every page works without this file.
(function () {
  'use strict';
  // Move focus to an error summary so screen-reader and keyboard users hear the problem first.
  function focusErrors(root) {
    var summary = (root || document).querySelector('[data-autofocus]');
    if (summary) summary.focus();
  }
  document.addEventListener('DOMContentLoaded', function () {
    focusErrors(document);
  });
  document.addEventListener('htmx:afterSwap', function (e) {
    focusErrors(e.target);
    showPrompt(e.target);
  });

  // A safeguarding prompt arrives as the table row after the grid row just saved (its role="alert"
  // announces it). Bring it into view without moving focus, so the teacher sees it and keeps their place.
  function showPrompt(target) {
    if (!target || !target.id || target.id.indexOf('row-') !== 0) return;
    var prompt = document.getElementById('concern-' + target.id);
    if (prompt && prompt.scrollIntoView) prompt.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }

  // A grid row that could not be saved says so in its status cell and keeps the choices made,
  // whatever went wrong: a refusal, a server error, an ended session or a lost connection.
  function rowNotSaved(e, message) {
    var row = e.detail && e.detail.elt && e.detail.elt.closest ? e.detail.elt.closest('tr[id^="row-"]') : null;
    var status = row && row.querySelector('.row-status');
    if (!status) return;
    row.classList.add('row-problem');
    var strong = document.createElement('strong');
    strong.className = 'error-text';
    strong.textContent = message;
    var busy = status.querySelector('.htmx-indicator');
    status.textContent = '';
    if (busy) status.appendChild(busy);
    status.appendChild(strong);
  }
  document.addEventListener('htmx:responseError', function (e) {
    var code = e.detail.xhr ? e.detail.xhr.status : 0;
    rowNotSaved(
      e,
      code === 401
        ? 'Not saved: you have been signed out. Reload the page to sign in again.'
        : code >= 500
          ? 'Not saved: something went wrong. Try again in a moment.'
          : 'Not saved. Reload the page and try again.',
    );
  });
  // A search or filter the server refused (400, I4) comes back as the results area saying why.
  // Show it rather than leave the old results, but only where the area asks (data-show-refusals).
  document.addEventListener('htmx:beforeSwap', function (e) {
    var target = e.detail.target;
    if (
      e.detail.xhr &&
      e.detail.xhr.status === 400 &&
      target &&
      target.hasAttribute &&
      target.hasAttribute('data-show-refusals')
    ) {
      e.detail.shouldSwap = true;
      e.detail.isError = false;
    }
  });
  document.addEventListener('htmx:sendError', function (e) {
    rowNotSaved(e, 'Not saved: no connection. Try again when you are back online.');
  });
})();
