/* Call page: the player seeks to the moment of any element with data-t (evidence, findings,
   risk signals, utterance times, the timeline strip); the utterance being played is marked;
   a search hit (?q=...) is highlighted in the transcript. Text is only ever set as text. */
(function () {
  "use strict";
  var audio = document.getElementById("audio");
  var rows = Array.prototype.slice.call(document.querySelectorAll("#transcript tbody tr[data-start]"));
  var head = document.getElementById("playhead"), strip = document.getElementById("timeline");
  var dur = strip ? parseFloat(strip.getAttribute("data-duration") || "0") : 0;

  function seek(t) {
    if (!audio || isNaN(t)) return;
    try { audio.currentTime = t; } catch (e) { return; }
    var p = audio.play();
    if (p && p.catch) p.catch(function () { /* autoplay refused: the time is set */ });
  }
  document.addEventListener("click", function (ev) {
    var el = ev.target.closest ? ev.target.closest("[data-t]") : null;
    if (!el || !audio) return;
    seek(parseFloat(el.getAttribute("data-t")));
  });
  if (audio) {
    audio.addEventListener("error", function () {
      var e = document.getElementById("audio-error");
      if (e) e.hidden = false;
    });
    audio.addEventListener("timeupdate", function () {
      var t = audio.currentTime;
      rows.forEach(function (tr) {
        var on = t >= parseFloat(tr.dataset.start) && t < parseFloat(tr.dataset.end);
        tr.classList.toggle("playing", on);
      });
      if (head && dur) {
        var x = 50 + 948 * Math.min(t, dur) / dur;
        head.setAttribute("x1", x); head.setAttribute("x2", x);
      }
      document.body.dataset.playing = t.toFixed(2);
    });
  }

  /* a hit from the search page: call.html?q=年费#u-3 */
  var q = new URLSearchParams(location.search).get("q");
  if (q) {
    var first = null;
    document.querySelectorAll("#transcript td.text").forEach(function (td) {
      var walker = document.createTreeWalker(td, NodeFilter.SHOW_TEXT), nodes = [], n;
      while ((n = walker.nextNode())) nodes.push(n);
      nodes.forEach(function (node) {
        var s = node.nodeValue, i = s.indexOf(q);
        if (i < 0) return;
        var frag = document.createDocumentFragment(), from = 0;
        while (i >= 0) {
          frag.appendChild(document.createTextNode(s.slice(from, i)));
          var m = document.createElement("mark");
          m.className = "search"; m.textContent = q;
          frag.appendChild(m);
          if (!first) first = m;
          from = i + q.length; i = s.indexOf(q, from);
        }
        frag.appendChild(document.createTextNode(s.slice(from)));
        node.parentNode.replaceChild(frag, node);
      });
    });
    if (first && !location.hash) first.scrollIntoView({block: "center"});
  }
})();
