/* Overview: sums the (date, team, product line, channel) cells that pass the filters and
   re-renders the KPI cards and charts. */
(function () {
  "use strict";
  var D = VOC.data, esc = VOC.esc;
  var COLORS = {negative: "#d64545", neutral: "#9aa5b1", positive: "#3f9142",
                high: "#c62828", medium: "#ef8c00", low: "#2e7d32"};
  var SENT = [["neg", "negative", "负面"], ["neu", "neutral", "中性"], ["pos", "positive", "正面"]];
  var LEVELS = [["high", "高"], ["medium", "中"], ["low", "低"]];
  var CHANNELS = D.channel_names || {};

  function blank() {
    return {n: 0, neg: 0, neu: 0, pos: 0, psum: 0, pn: 0, high: 0, medium: 0, low: 0,
            insp: 0, pass: 0, ssum: 0, findings: 0, topics: {}};
  }
  function add(acc, c) {
    ["n", "neg", "neu", "pos", "psum", "pn", "high", "medium", "low", "insp", "pass", "ssum",
     "findings"].forEach(function (k) { acc[k] += c[k]; });
    for (var t in c.topics) acc.topics[t] = (acc.topics[t] || 0) + c.topics[t];
  }
  /* days on a date axis, labelled month-day, one tick a day for up to a month */
  function dayAxis(days, extra) {
    var ax = {type: "date", tickformat: "%m-%d", hoverformat: "%Y-%m-%d"};
    if (days.length <= 31) ax.dtick = 86400000;
    for (var k in (extra || {})) ax[k] = extra[k];
    return ax;
  }
  function pct(a, b) { return b ? (100 * a / b).toFixed(1) + "%" : "—"; }
  function num(x, digits) { return x == null || isNaN(x) ? "—" : x.toFixed(digits); }

  /* the search page listing the contacts a card counts: search.html#from=...&team=... */
  function link(st, from, to, extra) {
    var h = new URLSearchParams();
    if (from) h.set("from", from);
    if (to) h.set("to", to);
    ["team", "product", "channel"].forEach(function (k) { if (st[k]) h.set(k, st[k]); });
    for (var k in (extra || {})) h.set(k, extra[k]);
    return "search.html#" + h.toString();
  }
  function cards(id, title, s, st, from, to) {
    var root = document.getElementById(id);
    if (!root) return;
    var items = [
      ["联络量", String(s.n), "", {}],
      ["负面情绪占比", pct(s.neg, s.neg + s.neu + s.pos), "", {sentiment: "negative"}],
      ["高风险", String(s.high), s.high ? "high" : "", {level: "high"}],
      ["中风险", String(s.medium), "", {level: "medium"}],
      ["质检合格率", pct(s.pass, s.insp), "", {qa: "inspected"}],
      ["质检平均分", s.insp ? num(s.ssum / s.insp, 1) : "—", "", {qa: "inspected"}],
      ["质检发现", String(s.findings), "", {rule: "*"}]
    ];
    root.textContent = "";
    var h = document.createElement("h3");
    h.textContent = title;
    root.appendChild(h);
    var box = document.createElement("div");
    box.className = "cards";
    items.forEach(function (it) {
      var c = document.createElement("div"), k = document.createElement("div"), v = document.createElement("div");
      var a = document.createElement("a");
      c.className = "card"; k.className = "k"; v.className = "v " + it[2];
      k.textContent = it[0]; v.textContent = it[1];
      a.href = link(st || {}, from, to, it[3]); a.title = "在搜索页列出这些联络";
      a.appendChild(k); a.appendChild(v); c.appendChild(a); box.appendChild(c);
    });
    root.appendChild(box);
  }

  function render(st, count) {
    var total = blank(), byDay = {}, byDayChannel = {}, channels = {};
    D.cells.forEach(function (c) {
      if (!VOC.match(st, c.d, c.team, c.product, c.channel)) return;
      add(total, c);
      var day = c.d || "(无日期)";
      if (!byDay[day]) byDay[day] = blank();
      add(byDay[day], c);
      byDayChannel[day + "\u0000" + c.channel] = (byDayChannel[day + "\u0000" + c.channel] || 0) + c.n;
      channels[c.channel] = 1;
    });
    var days = Object.keys(byDay).sort();
    var last = days.length ? days[days.length - 1] : null;
    if (count) count.textContent = "所选范围 " + total.n + " 条联络，" + days.length + " 天";
    cards("kpi-night", last ? "最近一天（" + last + "）" : "最近一天", last ? byDay[last] : blank(), st, last, last);
    cards("kpi-range", "所选范围" + (days.length ? "（" + days[0] + " 至 " + last + "）" : ""), total, st,
          st.from, st.to);

    VOC.plot("ch-volume", Object.keys(channels).sort().map(function (ch) {
      return {type: "bar", name: esc(CHANNELS[ch] || ch), x: days,
              y: days.map(function (d) { return byDayChannel[d + "\u0000" + ch] || 0; })};
    }), {title: {text: "每日联络量（按渠道）"}, barmode: "stack", xaxis: dayAxis(days)});

    VOC.plot("ch-sentiment", [{type: "pie", hole: 0.45, sort: false,
      labels: SENT.map(function (s) { return s[2]; }),
      values: SENT.map(function (s) { return total[s[0]]; }),
      marker: {colors: SENT.map(function (s) { return COLORS[s[1]]; })}}],
      {title: {text: "客户情绪分布"}});

    VOC.plot("ch-sent-trend", [
      {type: "scatter", mode: "lines+markers", name: "负面占比 %", x: days, line: {color: COLORS.negative},
       y: days.map(function (d) { var b = byDay[d], n = b.neg + b.neu + b.pos; return n ? 100 * b.neg / n : null; })},
      {type: "scatter", mode: "lines+markers", name: "平均正面概率", x: days, yaxis: "y2", line: {color: COLORS.positive},
       y: days.map(function (d) { var b = byDay[d]; return b.pn ? b.psum / b.pn : null; })}],
      {title: {text: "情绪趋势"}, xaxis: dayAxis(days), margin: {l: 60, r: 60, t: 40, b: 50}, yaxis: {title: {text: "负面 %"}, rangemode: "tozero"},
       yaxis2: {overlaying: "y", side: "right", range: [0, 1], dtick: 0.2, tickformat: ".1f", showgrid: false, title: {text: "正面概率"}}});

    VOC.plot("ch-risk", [{type: "bar", x: LEVELS.map(function (l) { return l[1] + "风险"; }),
      y: LEVELS.map(function (l) { return total[l[0]]; }),
      marker: {color: LEVELS.map(function (l) { return COLORS[l[0]]; })}}],
      {title: {text: "投诉风险等级"}});

    VOC.plot("ch-risk-trend", LEVELS.slice(0, 2).map(function (l) {
      return {type: "bar", name: l[1] + "风险", x: days, marker: {color: COLORS[l[0]]},
              y: days.map(function (d) { return byDay[d][l[0]]; })};
    }), {title: {text: "每日中高风险联络"}, barmode: "stack", xaxis: dayAxis(days)});

    VOC.plot("ch-qa", [
      {type: "scatter", mode: "lines+markers", name: "合格率 %", x: days, line: {color: "#1d4ed8"},
       y: days.map(function (d) { var b = byDay[d]; return b.insp ? 100 * b.pass / b.insp : null; })},
      {type: "scatter", mode: "lines+markers", name: "平均分", x: days, yaxis: "y2", line: {color: "#7c3aed", dash: "dot"},
       y: days.map(function (d) { var b = byDay[d]; return b.insp ? b.ssum / b.insp : null; })}],
      {title: {text: "质检合格率（≥ " + D.pass_score + " 分）与平均分"}, xaxis: dayAxis(days),
       margin: {l: 60, r: 60, t: 40, b: 50},
       yaxis: {range: [0, 105], title: {text: "合格率 %"}},
       yaxis2: {overlaying: "y", side: "right", range: [0, 105], showgrid: false, title: {text: "平均分"}}});

    var topicDiv = document.getElementById("ch-topics");
    if (topicDiv) {
      var pairs = Object.keys(total.topics).map(function (t) { return [t, total.topics[t]]; })
        .sort(function (a, b) { return b[1] - a[1]; }).slice(0, 10).reverse();
      VOC.plot(topicDiv, [{type: "bar", orientation: "h", marker: {color: "#0e7490"},
        x: pairs.map(function (p) { return p[1]; }),
        y: pairs.map(function (p) { return esc(D.topic_labels[p[0]] || p[0]); })}],
        {title: {text: "热门话题（前 10）"}, margin: {l: 20, r: 20, t: 40, b: 40}, yaxis: {automargin: true}});
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    VOC.filterBar(document.getElementById("filters"), render);
  });
})();
