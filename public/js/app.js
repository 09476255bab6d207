// Small enhancements only: every page works without this file.
(function () {
  'use strict';
  // Move focus to an error summary so screen-reader and keyboard users hear the problem first.
  function focusErrors(root) {
    var summary = (root || document).querySelector('[data-autofocus]');
    if (summary) summary.focus();
  }
  document.addEventListener('DOMContentLoaded', function () { focusErrors(document); });
  document.addEventListener('htmx:afterSwap', function (e) { focusErrors(e.target); });
})();
