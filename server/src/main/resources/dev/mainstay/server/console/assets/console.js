// Times: the page says UTC; show them in the viewer's zone, with the UTC instant kept on hover.
(function () {
  function localise(root) {
    root.querySelectorAll('time[datetime]').forEach(function (t) {
      var iso = t.getAttribute('datetime');
      if (!iso || t.dataset.localised) { return; }
      var d = new Date(iso);
      if (isNaN(d.getTime())) { return; }
      t.textContent = d.toLocaleString();
      t.title = iso.replace('T', ' ').replace('Z', ' UTC');
      t.dataset.localised = '1';
    });
  }
  document.addEventListener('DOMContentLoaded', function () { localise(document); });
  document.addEventListener('htmx:afterSwap', function (e) { localise(e.target); });
  document.addEventListener('htmx:sseMessage', function (e) { localise(document); });
})();
