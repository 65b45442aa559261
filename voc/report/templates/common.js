/* voc report: shared page code. No network: everything this page needs is inlined. */
(function () {
  "use strict";
  var FONT = '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif';
  var CONFIG = {displaylogo: false, responsive: true, showLink: false, showSendToCloud: false,
                modeBarButtonsToRemove: ["sendDataToCloud", "lasso2d", "select2d"]};
  var el = document.getElementById("voc-data");
  var VOC = window.VOC = {data: el ? JSON.parse(el.textContent) : {}};

  /* text for plotly labels: plotly reads a few HTML tags in strings, so escape them */
  VOC.esc = function (s) {
    return String(s == null ? "" : s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  };
  VOC.layout = function (extra) {
    var base = {font: {family: FONT, size: 12}, margin: {l: 50, r: 20, t: 40, b: 50},
                paper_bgcolor: "#fff", plot_bgcolor: "#fff", legend: {orientation: "h", y: -0.18},
                hoverlabel: {font: {family: FONT}}};
    for (var k in (extra || {})) base[k] = extra[k];
    return base;
  };
  /* a chart with no data point says 无数据 instead of drawing an empty −1…1 axis */
  VOC.empty = function (data) {
    return !(data || []).some(function (t) {
      var v = t.values || (t.orientation === "h" ? t.x : t.y) || t.x || [];
      if (!Array.isArray(v)) return !!(v && v.bdata);  /* plotly's packed arrays */
      return v.some(function (x) { return x !== null && x !== undefined && x !== "" && x !== 0 && !(typeof x === "number" && isNaN(x)); });
    });
  };
  VOC.plot = function (div, data, layout) {
    if (typeof div === "string") div = document.getElementById(div);
    if (!div || !window.Plotly) return;
    if (VOC.empty(data)) {
      if (div.dataset.plotted) { window.Plotly.purge(div); delete div.dataset.plotted; }
      div.textContent = "";
      var box = document.createElement("div"), t = (layout && layout.title) || {};
      box.className = "nodata";
      box.textContent = (typeof t === "string" ? t : (t.text || "")) + "：无数据";
      div.appendChild(box);
      return;
    }
    if (!div.dataset.plotted) div.textContent = "";
    var lay = VOC.layout(layout);
    if (div.dataset.plotted) window.Plotly.react(div, data, lay, CONFIG);
    else { window.Plotly.newPlot(div, data, lay, CONFIG); div.dataset.plotted = "1"; }
  };
  /* charts built in Python: <div data-chart="name"> and VOC.data.charts[name] = {data, layout} */
  VOC.renderCharts = function () {
    var charts = VOC.data.charts || {};
    document.querySelectorAll("div[data-chart]").forEach(function (div) {
      var spec = charts[div.getAttribute("data-chart")];
      if (spec) VOC.plot(div, spec.data, spec.layout);
    });
  };

  /* The filter bar: date range, team, product line, channel (values from VOC.data.filters). */
  VOC.filterBar = function (root, onChange) {
    var f = VOC.data.filters;
    if (!root || !f) return null;
    function field(label, input) {
      var l = document.createElement("label");
      l.appendChild(document.createTextNode(label));
      l.appendChild(input);
      root.appendChild(l);
      return input;
    }
    function dateInput(id, value) {
      var i = document.createElement("input");
      i.type = "date"; i.id = id; i.value = value || ""; i.min = f.min || ""; i.max = f.max || "";
      return i;
    }
    function select(id, values) {
      var s = document.createElement("select");
      s.id = id;
      var all = document.createElement("option");
      all.value = ""; all.textContent = "全部";
      s.appendChild(all);
      values.forEach(function (v) {
        var o = document.createElement("option");
        if (Array.isArray(v)) { o.value = v[0]; o.textContent = v[1]; }
        else { o.value = v; o.textContent = v; }  /* textContent: never parsed as HTML */
        s.appendChild(o);
      });
      return s;
    }
    var from = field("开始日期", dateInput("f-from", f.min));
    var to = field("结束日期", dateInput("f-to", f.max));
    var team = field("班组", select("f-team", f.teams));
    var product = field("产品线", select("f-product", f.products));
    var channel = field("渠道", select("f-channel", f.channels));
    var extra = (root.getAttribute("data-extra") || "") === "level" ?
      field("风险等级", select("f-level", [["high", "高"], ["medium", "中"]])) : null;
    var reset = document.createElement("button");
    reset.type = "button"; reset.id = "f-reset"; reset.textContent = "重置";
    root.appendChild(reset);
    var count = document.createElement("span");
    count.className = "muted small"; count.id = "f-count";
    root.appendChild(count);
    function state() {
      return {from: from.value, to: to.value, team: team.value, product: product.value,
              channel: channel.value, level: extra ? extra.value : ""};
    }
    function fire() { onChange(state(), count); }
    [from, to, team, product, channel, extra].forEach(function (i) {
      if (i) i.addEventListener("change", fire);
    });
    reset.addEventListener("click", function () {
      from.value = f.min || ""; to.value = f.max || "";
      team.value = product.value = channel.value = "";
      if (extra) extra.value = "";
      fire();
    });
    fire();
    return state;
  };
  VOC.match = function (st, d, team, product, channel) {
    if (st.from && d && d < st.from) return false;
    if (st.to && d && d > st.to) return false;
    if (st.team && team !== st.team) return false;
    if (st.product && product !== st.product) return false;
    if (st.channel && channel !== st.channel) return false;
    return true;
  };

  /* a table whose rows (tr[data-d]) follow the filter bar */
  VOC.filterRows = function (table, st, count) {
    var rows = table.querySelectorAll("tbody tr"), shown = 0;
    rows.forEach(function (tr) {
      var ok = VOC.match(st, tr.dataset.d, tr.dataset.team, tr.dataset.product, tr.dataset.channel) &&
               (!st.level || tr.dataset.level === st.level);
      tr.style.display = ok ? "" : "none";
      if (ok) shown++;
    });
    if (count) count.textContent = "显示 " + shown + " / " + rows.length + " 条";
  };

  document.addEventListener("DOMContentLoaded", function () { VOC.renderCharts(); });
})();
