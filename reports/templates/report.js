/* appaudit report: sort, filter and row-limit the tables; label the cells of a table shown as cards on a
   phone. No network, no eval, no innerHTML. */
(function () {
  "use strict";
  var collator = new Intl.Collator(document.documentElement.lang || "en", { numeric: true, sensitivity: "base" });
  // the page's words for what this script writes (data-w-* on <body>, in the page's language), English if absent
  var WORDS = { row: "{n} row", rows: "{n} rows", showing: "Showing {shown} of {total}",
    filtered: " (filtered from {total})", first: "Show the first {n} rows only", all: "Show all {n} rows" };
  function say(key, values) {
    var text = (document.body && document.body.getAttribute("data-w-" + key)) || WORDS[key];
    return text.replace(/\{(\w+)\}/g, function (whole, name) { return name in values ? String(values[name]) : whole; });
  }

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
    var noMatch = box.querySelector("[data-nomatch]");
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
        countEl.textContent = (shown < matched ? say("showing", { shown: shown, total: matched })
          : say(matched === 1 ? "row" : "rows", { n: matched }))
          + (filtered ? say("filtered", { total: rows.length }) : "");
      }
      if (moreBtn) {
        moreBtn.hidden = !expanded && matched <= limit;
        moreBtn.textContent = expanded ? say("first", { n: limit }) : say("all", { n: matched });
      }
      if (noMatch) { noMatch.hidden = matched > 0; }
      box.classList.toggle("is-filtered", filtered);
    }

    function sortBy(th, col) {
      var numeric = th.getAttribute("data-sort") === "num";
      var current = th.getAttribute("aria-sort");
      /* first click: the largest (most severe) first for figures, A to Z for text; then each click flips */
      var dir = current === "ascending" ? -1 : current === "descending" ? 1 : (numeric ? -1 : 1);
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

  /* Cards on a phone: each cell is labelled with its column's heading (done once, when the layout is needed). */
  var phone = window.matchMedia ? window.matchMedia("(max-width: 900px)") : null;
  var labelled = false;
  function label() {
    if (labelled || !phone || !phone.matches) { return; }
    labelled = true;
    document.querySelectorAll("table.cards, .cards table").forEach(function (table) {
      var head = table.tHead && table.tHead.rows[0];
      if (!head) { return; }
      var names = Array.prototype.map.call(head.cells, function (th) { return th.textContent.trim(); });
      Array.prototype.forEach.call(table.tBodies, function (tbody) {
        Array.prototype.forEach.call(tbody.rows, function (row) {
          for (var i = 0; i < row.cells.length && i < names.length; i++) {
            var cell = row.cells[i];
            if (cell.tagName === "TD" && names[i] && !cell.hasAttribute("data-label")) { cell.setAttribute("data-label", names[i]); }
          }
        });
      });
    });
  }
  label();
  if (phone) {
    if (phone.addEventListener) { phone.addEventListener("change", label); } else if (phone.addListener) { phone.addListener(label); }
  }

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
