// probe.js is evaluated in the checked page by browsercheck. It returns the
// state of every chart container and image as a JSON-serialisable object.
// The EXTRA placeholder below is replaced by an optional extra CSS selector list.
(function () {
  "use strict";
  var selector = "[_echarts_instance_], .flowkit-echarts";
  var extra = "%EXTRA%";
  if (extra) { selector += ", " + extra; }
  var seen = new Set();
  var charts = [];
  document.querySelectorAll(selector).forEach(function (el) {
    if (seen.has(el)) { return; }
    seen.add(el);
    var st = { id: el.id || "", series: 0, points: 0, painted: false,
               width: el.clientWidth, height: el.clientHeight, instance: false };
    var inst = null;
    try {
      if (window.echarts && typeof window.echarts.getInstanceByDom === "function") {
        inst = window.echarts.getInstanceByDom(el) || null;
      }
    } catch (e) { inst = null; }
    if (inst && !inst.isDisposed()) {
      st.instance = true;
      try {
        var o = inst.getOption() || {};
        (o.series || []).forEach(function (s) {
          var n = Array.isArray(s.data) ? s.data.length : 0;
          if (n > 0 || (s.dataset !== undefined) || o.dataset) { st.series++; }
          st.points += n;
        });
      } catch (e) { /* counted as no series */ }
    }
    // Canvas renderer: count non-transparent pixels.
    el.querySelectorAll("canvas").forEach(function (c) {
      if (st.painted || c.width === 0 || c.height === 0) { return; }
      try {
        var ctx = c.getContext("2d");
        if (!ctx) { return; }
        var d = ctx.getImageData(0, 0, c.width, c.height).data;
        var n = 0;
        for (var i = 3; i < d.length; i += 4) {
          if (d[i] !== 0) { n++; if (n >= 50) { st.painted = true; return; } }
        }
      } catch (e) { /* tainted or no 2d context */ }
    });
    // SVG renderer: count drawn shapes.
    el.querySelectorAll("svg").forEach(function (s) {
      if (s.querySelectorAll("path, rect, circle, polyline, polygon, image, text").length > 3) {
        st.painted = true;
      }
    });
    charts.push(st);
  });
  var images = [];
  Array.prototype.forEach.call(document.images, function (img) {
    images.push({ id: img.id || "", complete: img.complete, naturalWidth: img.naturalWidth,
                  naturalHeight: img.naturalHeight, src: String(img.currentSrc || img.src).slice(0, 80) });
  });
  return { readyState: document.readyState, charts: charts, images: images };
})()
