/* appaudit report: sort, filter and row-limit the tables. No network, no eval, no innerHTML. */
(function () {
  "use strict";
  var collator = new Intl.Collator("en", { numeric: true, sensitivity: "base" });

  function cellKey(row, col) {
    var cell = row.cells[col];
    if (!cell) { return ""; }
    var v = cell.getAttribute("data-v");
    return v === null ? cell.textContent.trim() : v;
  }

  function setupTable(box) {
    var table = box.querySelector("table");
    var tbody = table.tBodies[0];
    var rows = Array.prototype.slice.call(tbody.rows);
    var limit = parseInt(box.getAttribute("data-limit"), 10) || Infinity;
    var expanded = false;
    var textInput = box.querySelector("[data-filter-text]");
    var filters = Array.prototype.slice.call(box.querySelectorAll("[data-filter]"));
    var countEl = box.querySelector("[data-count]");
    var moreBtn = box.querySelector("[data-show-all]");
    var texts = new Map();
    var timer = null;

    function text(row) {
      var t = texts.get(row);
      if (t === undefined) { t = row.textContent.toLowerCase(); texts.set(row, t); }
      return t;
    }

    function conditions() {
      var out = [];
      filters.forEach(function (el) {
        var value = el.type === "checkbox" ? (el.checked ? el.value : "") : el.value;
        if (value) { out.push([el.getAttribute("data-filter"), value]); }
      });
      return out;
    }

    function apply() {
      var query = textInput ? textInput.value.trim().toLowerCase() : "";
      var conds = conditions();
      var shown = 0;
      var matched = 0;
      rows.forEach(function (row) {
        var ok = !query || text(row).indexOf(query) !== -1;
        for (var i = 0; ok && i < conds.length; i++) {
          ok = (row.getAttribute("data-" + conds[i][0]) || "").split(" ").indexOf(conds[i][1]) !== -1;
        }
        row.classList.toggle("f-out", !ok);
        if (!ok) { row.hidden = false; return; }
        matched++;
        var visible = expanded || shown < limit;
        row.hidden = !visible;
        if (visible) { shown++; }
      });
      var filtered = matched < rows.length;
      if (countEl) {
        countEl.textContent = (shown < matched ? "Showing " + shown + " of " + matched : matched + " row" + (matched === 1 ? "" : "s"))
          + (filtered ? " (filtered from " + rows.length + ")" : "");
      }
      if (moreBtn) {
        moreBtn.hidden = !expanded && matched <= limit;
        moreBtn.textContent = expanded ? "Show the first " + limit + " rows only" : "Show all " + matched + " rows";
      }
      box.classList.toggle("is-filtered", filtered);
    }

    function sortBy(th, col) {
      var numeric = th.getAttribute("data-sort") === "num";
      var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
      table.querySelectorAll("th[data-sort]").forEach(function (other) { other.setAttribute("aria-sort", "none"); });
      th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
      var keyed = rows.map(function (row, index) { return [cellKey(row, col), index, row]; });
      keyed.sort(function (a, b) {
        var c = numeric ? (parseFloat(a[0]) || 0) - (parseFloat(b[0]) || 0) : collator.compare(a[0], b[0]);
        return c !== 0 ? c * dir : a[1] - b[1];
      });
      rows = keyed.map(function (k) { return k[2]; });
      var frag = document.createDocumentFragment();
      rows.forEach(function (row) { frag.appendChild(row); });
      tbody.appendChild(frag);
      apply();
    }

    table.querySelectorAll("th[data-sort]").forEach(function (th) {
      var button = th.querySelector("button");
      if (button) { button.addEventListener("click", function () { sortBy(th, th.cellIndex); }); }
    });
    if (textInput) {
      textInput.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(apply, rows.length > 500 ? 120 : 0);
      });
    }
    filters.forEach(function (el) { el.addEventListener("change", apply); });
    if (moreBtn) { moreBtn.addEventListener("click", function () { expanded = !expanded; apply(); }); }
    box.classList.add("js-ready");
  }

  document.querySelectorAll("[data-table]").forEach(setupTable);

  /* Printing shows every row (CSS) and every collapsed detail. */
  var opened = [];
  window.addEventListener("beforeprint", function () {
    opened = Array.prototype.filter.call(document.querySelectorAll("details:not([open])"), function (d) {
      d.open = true;
      return true;
    });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (d) { d.open = false; });
    opened = [];
  });
}());
