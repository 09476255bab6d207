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
  // Anything that can take a while (a large MIS file checked or imported, an export) says so
  // while it runs, and cannot be sent twice. Without this script the browser's own loading shows.
  function showBusy(status) {
    if (status) status.textContent = status.getAttribute('data-busy-text');
  }
  function clearBusy(status, text) {
    if (status) status.textContent = text || '';
  }

  // A form marked data-busy-form is still sent by the browser itself, so validation errors,
  // redirects and history behave as without the script; it only shows the status and disables
  // its buttons (after the browser has read the form, so a button's own value is still sent).
  document.addEventListener('submit', function (e) {
    var form = e.target;
    if (!form || !form.hasAttribute || !form.hasAttribute('data-busy-form') || e.defaultPrevented) return;
    if (form.getAttribute('aria-busy') === 'true') {
      e.preventDefault();
      return;
    }
    form.setAttribute('aria-busy', 'true');
    showBusy(form.querySelector('[data-busy-text]'));
    window.setTimeout(function () {
      var buttons = form.querySelectorAll('button[type="submit"], button:not([type])');
      for (var i = 0; i < buttons.length; i++) buttons[i].disabled = true;
    }, 0);
  });
  // Back to a page kept in the browser's cache: its forms are usable again.
  window.addEventListener('pageshow', function (e) {
    if (!e.persisted) return;
    var forms = document.querySelectorAll('form[aria-busy="true"]');
    for (var i = 0; i < forms.length; i++) {
      forms[i].removeAttribute('aria-busy');
      clearBusy(forms[i].querySelector('[data-busy-text]'));
      var buttons = forms[i].querySelectorAll('button');
      for (var j = 0; j < buttons.length; j++) buttons[j].disabled = false;
    }
  });

  // A download link marked data-busy-download="<status id>": the file is fetched here so the page
  // can say it is being prepared until it arrives (a plain download link shows nothing meanwhile).
  // Anything but a CSV (an error page, the sign-in page) is opened as the link would have been.
  function filenameOf(res, fallback) {
    var match = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') || '');
    return match ? match[1] : fallback;
  }
  document.addEventListener('click', function (e) {
    var link = e.target && e.target.closest ? e.target.closest('a[data-busy-download]') : null;
    if (!link || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    if (!window.fetch || !window.URL || !window.URL.createObjectURL) return;
    e.preventDefault();
    if (link.getAttribute('aria-disabled') === 'true') return;
    var status = document.getElementById(link.getAttribute('data-busy-download'));
    var href = link.href;
    link.setAttribute('aria-disabled', 'true');
    showBusy(status);
    window
      .fetch(href, { credentials: 'same-origin' })
      .then(function (res) {
        if (!res.ok || !/^text\/csv/.test(res.headers.get('content-type') || '')) {
          window.location.href = href;
          return;
        }
        return res.blob().then(function (blob) {
          var url = window.URL.createObjectURL(blob);
          var save = document.createElement('a');
          save.href = url;
          save.download = filenameOf(res, link.getAttribute('download') || 'download.csv');
          document.body.appendChild(save);
          save.click();
          save.remove();
          window.setTimeout(function () {
            window.URL.revokeObjectURL(url);
          }, 10000);
          clearBusy(status);
        });
      })
      .catch(function () {
        clearBusy(status, 'The file could not be downloaded: no connection. Try again when you are back online.');
      })
      .finally(function () {
        link.removeAttribute('aria-disabled');
      });
  });
})();
