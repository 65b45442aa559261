/* Search page: a substring scan of the inlined index (VOC.data.contacts: one entry per contact
   with its filters and redacted utterances), filtered in the page. The filters can be preset
   from the address (search.html#level=high&from=2026-11-01), as the overview's cards do.
   Results are built with textContent only: no text from the index is ever parsed as HTML. */
(function () {
  "use strict";
  var D = VOC.data, F = D.filters, N = D.names, MAX = 200;
  var ALL = "*";
  function $(id) { return document.getElementById(id); }
  function fill(sel, values, names, anyLabel) {
    var all = document.createElement("option");
    all.value = ""; all.textContent = "全部";
    sel.appendChild(all);
    if (anyLabel) {
      var any = document.createElement("option");
      any.value = ALL; any.textContent = anyLabel;
      sel.appendChild(any);
    }
    values.forEach(function (v) {
      var o = document.createElement("option");
      if (Array.isArray(v)) { o.value = v[0]; o.textContent = v[1]; }
      else { o.value = v; o.textContent = (names && names[v]) || v; }
      sel.appendChild(o);
    });
  }
  fill($("s-team"), F.teams);
  fill($("s-agent"), F.agents);
  fill($("s-rule"), F.rules, null, "有任一发现");
  fill($("s-level"), ["high", "medium", "low"], N.level);
  fill($("s-sentiment"), ["negative", "neutral", "positive"], N.sentiment);
  fill($("s-topic"), F.topics);
  fill($("s-state"), F.states, N.state);
  fill($("s-channel"), F.channels, N.channel);
  fill($("s-product"), F.products);
  fill($("s-qa"), [["inspected", "已质检"], ["fail", "不合格（< " + D.pass_score + " 分）"], ["pass", "合格"]]);
  D.contacts.forEach(function (c) {
    c.qa = c.q === null ? "" : (c.q >= D.pass_score ? "pass" : "fail");
  });
  var sels = Array.prototype.slice.call(document.querySelectorAll("#search-filters select"));
  var q = $("q"), from = $("s-from"), to = $("s-to"), count = $("s-count"), list = $("hits");
  from.min = to.min = F.min || ""; from.max = to.max = F.max || "";
  var KEYS = {team: "s-team", agent: "s-agent", rule: "s-rule", level: "s-level", sentiment: "s-sentiment",
              topic: "s-topic", state: "s-state", channel: "s-channel", product: "s-product", qa: "s-qa",
              from: "s-from", to: "s-to", q: "q"};

  function preset() {
    var h = new URLSearchParams(location.hash.replace(/^#/, ""));
    Object.keys(KEYS).forEach(function (k) { if (h.has(k)) $(KEYS[k]).value = h.get(k); });
  }
  function fold(s) { return String(s || "").toLowerCase(); }
  function keep(c) {
    if (from.value && c.d && c.d < from.value) return false;
    if (to.value && c.d && c.d > to.value) return false;
    return sels.every(function (s) {
      var v = s.value, have = c[s.dataset.key];
      if (!v) return true;
      if (Array.isArray(have)) return v === ALL ? have.length > 0 : have.indexOf(v) >= 0;
      if (v === "inspected") return have === "pass" || have === "fail";
      return have === v;
    });
  }
  function snippet(li, label, text, terms) {
    var low = fold(text), at = -1, term = "";
    terms.forEach(function (t) { var i = low.indexOf(t); if (i >= 0 && (at < 0 || i < at)) { at = i; term = t; } });
    var start = Math.max(0, at - 30), end = Math.min(text.length, at + term.length + 60);
    var div = document.createElement("div");
    div.className = "snippet";
    div.appendChild(document.createTextNode(label));
    if (start > 0) div.appendChild(document.createTextNode("…"));
    var part = text.slice(start, end), lowPart = low.slice(start, end), pos = 0;
    while (pos < part.length) {
      var best = -1, len = 0;
      terms.forEach(function (t) { var i = lowPart.indexOf(t, pos); if (i >= 0 && (best < 0 || i < best)) { best = i; len = t.length; } });
      if (best < 0) { div.appendChild(document.createTextNode(part.slice(pos))); break; }
      div.appendChild(document.createTextNode(part.slice(pos, best)));
      var m = document.createElement("mark");
      m.className = "search"; m.textContent = part.slice(best, best + len);
      div.appendChild(m);
      pos = best + len;
    }
    if (end < text.length) div.appendChild(document.createTextNode("…"));
    li.appendChild(div);
  }
  function run() {
    var terms = fold(q.value).split(/\s+/).filter(Boolean), n = 0, shown = 0;
    list.textContent = "";
    D.contacts.forEach(function (c) {
      if (!keep(c)) return;
      var hits = [];
      if (terms.length) {
        var found = {};
        c.u.forEach(function (u) {
          var low = fold(u[2]), any = false;
          terms.forEach(function (t) { if (low.indexOf(t) >= 0) { found[t] = 1; any = true; } });
          if (any) hits.push(u);
        });
        if (Object.keys(found).length < terms.length) return;
      }
      n++;
      if (shown >= MAX) return;
      shown++;
      var li = document.createElement("li"), a = document.createElement("a"), meta = document.createElement("span");
      var target = hits.length ? hits[0][0] : null;
      a.href = "calls/" + c.p + (terms.length ? "?q=" + encodeURIComponent(terms[0]) : "") +
               (target !== null ? "#u-" + target : "");
      a.className = "hit-link"; a.textContent = c.t;
      meta.className = "muted small";
      meta.textContent = "  " + [c.d, "坐席 " + c.a, c.tm, c.l ? (N.level[c.l] || c.l) + "风险" : "",
                                 c.q !== null ? "质检 " + c.q + " 分" : "", c.tp].filter(Boolean).join(" · ");
      li.appendChild(a); li.appendChild(meta);
      hits.slice(0, 3).forEach(function (u) { snippet(li, "第 " + (u[0] + 1) + " 句：", u[2], terms); });
      list.appendChild(li);
    });
    count.textContent = "找到 " + n + " 条联络" + (n > shown ? "（显示前 " + shown + " 条）" : "");
  }
  var timer = null;
  q.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(run, 150); });
  q.addEventListener("keydown", function (e) { if (e.key === "Enter") { clearTimeout(timer); run(); } });
  sels.concat([from, to]).forEach(function (el) { el.addEventListener("change", run); });
  $("s-reset").addEventListener("click", function () {
    q.value = from.value = to.value = "";
    sels.forEach(function (s) { s.value = ""; });
    run();
  });
  window.addEventListener("hashchange", function () { preset(); run(); });
  preset();
  run();
})();
