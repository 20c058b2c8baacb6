// srt report: sorting, chart read-outs, the image viewer (synchronized
// nearest-neighbour zoom and pan, before/after slider). No library: the
// page must open from file:// with nothing fetched.
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);

  // ---- sortable tables: click a header; numbers numerically, blanks last
  function sortTable(table, col) {
    var th = table.tHead.rows[0].cells[col];
    var asc = !th.classList.contains('sorted-asc');
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (c) {
      c.classList.remove('sorted-asc', 'sorted-desc');
    });
    th.classList.add(asc ? 'sorted-asc' : 'sorted-desc');
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var keys = rows.map(function (r) {
      var cell = r.cells[col], k = cell.getAttribute('data-sort');
      k = k === null ? cell.textContent.replace(/,/g, '').trim() : k;
      return k === '–' ? '' : k;
    });
    var numeric = keys.every(function (k) {
      return k === '' || !isNaN(parseFloat(k)) && isFinite(k);
    });
    var order = rows.map(function (r, i) { return i; });
    order.sort(function (i, j) {
      var a = keys[i], b = keys[j];
      if (a === '' || b === '') { return (a === '') - (b === ''); }
      var d = numeric ? parseFloat(a) - parseFloat(b) : a.localeCompare(b);
      return (asc ? d : -d) || i - j;
    });
    order.forEach(function (i) { body.appendChild(rows[i]); });
  }
  document.querySelectorAll('table.sortable').forEach(function (table) {
    table.tHead.addEventListener('click', function (ev) {
      var th = ev.target.closest('th');
      if (th) { sortTable(table, th.cellIndex); }
    });
  });

  // ---- provenance records: one click away
  document.querySelectorAll('button.prov').forEach(function (b) {
    b.addEventListener('click', function () {
      var pre = document.getElementById(b.getAttribute('data-target'));
      pre.hidden = !pre.hidden;
    });
  });

  // ---- curves: the values of every line at the iteration under the mouse
  document.querySelectorAll('figure.curve').forEach(function (fig) {
    var svg = fig.querySelector('svg');
    var readout = fig.querySelector('.readout');
    var cursor = svg.querySelector('.cursor');
    var lines = Array.prototype.map.call(
      svg.querySelectorAll('polyline.series'), function (p) {
        return {run: p.getAttribute('data-run'),
                values: JSON.parse(p.getAttribute('data-values'))};
      });
    var left = +svg.dataset.left, right = +svg.dataset.right;
    var x0 = +svg.dataset.x0, x1 = +svg.dataset.x1;
    svg.addEventListener('mousemove', function (ev) {
      var pt = svg.createSVGPoint();
      pt.x = ev.clientX; pt.y = ev.clientY;
      var local = pt.matrixTransform(svg.getScreenCTM().inverse());
      var iter = x0 + (local.x - left) / (right - left) * (x1 - x0);
      var parts = lines.map(function (line) {
        var best = line.values[0];
        line.values.forEach(function (v) {
          if (Math.abs(v[0] - iter) < Math.abs(best[0] - iter)) { best = v; }
        });
        return line.run + ' ' + best[1].toPrecision(5) + ' (iter ' +
          best[0] + ')';
      });
      readout.textContent = parts.join(' · ');
      cursor.setAttribute('x1', local.x); cursor.setAttribute('x2', local.x);
      cursor.setAttribute('visibility', 'visible');
    });
    svg.addEventListener('mouseleave', function () {
      cursor.setAttribute('visibility', 'hidden');
    });
  });

  // ---- image viewer
  var images = data.images || [];
  var viewer = document.getElementById('viewer');
  if (!viewer || !images.length) { return; }
  var ZOOMS = [1, 2, 4, 8, 16];
  var state = {index: -1, zoom: 1, sx: 0, sy: 0, w: 0, h: 0, loaded: []};
  var panelBox = document.getElementById('panels');
  var compare = document.getElementById('compare');
  var slider = document.getElementById('slider');
  var selA = document.getElementById('slider-a');
  var selB = document.getElementById('slider-b');

  function clampView() {
    var sw = state.w / state.zoom, sh = state.h / state.zoom;
    state.sx = Math.round(Math.min(Math.max(state.sx, 0), state.w - sw));
    state.sy = Math.round(Math.min(Math.max(state.sy, 0), state.h - sh));
  }
  function drawOn(canvas, img) {
    var ctx = canvas.getContext('2d');
    ctx.imageSmoothingEnabled = false;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    if (img && img.complete && img.naturalWidth) {
      ctx.drawImage(img, state.sx, state.sy, state.w / state.zoom,
                    state.h / state.zoom, 0, 0, canvas.width, canvas.height);
    }
  }
  function draw() {
    clampView();
    panelBox.querySelectorAll('canvas').forEach(function (c, i) {
      drawOn(c, state.loaded[i]);
    });
    // before/after: A left of the slider, B right of it, the same view
    var a = state.loaded[+selA.value], b = state.loaded[+selB.value];
    var split = Math.round(compare.width * slider.value / 100);
    drawOn(compare, a);
    var ctx = compare.getContext('2d');
    if (b && b.complete && b.naturalWidth) {
      var sw = state.w / state.zoom, sh = state.h / state.zoom;
      var frac = split / compare.width;
      ctx.drawImage(b, state.sx + sw * frac, state.sy, sw * (1 - frac), sh,
                    split, 0, compare.width - split, compare.height);
    }
    ctx.fillStyle = '#fff';
    ctx.fillRect(split, 0, 1, compare.height);
    document.getElementById('zoom-level').textContent = state.zoom + '×';
  }
  function zoomAt(level, px, py) {
    // keep the image pixel under (px, py) (canvas pixels) in place
    var ix = state.sx + px / state.zoom, iy = state.sy + py / state.zoom;
    state.zoom = level;
    state.sx = ix - px / level;
    state.sy = iy - py / level;
    draw();
  }
  function step(dir, px, py) {
    var i = ZOOMS.indexOf(state.zoom) + dir;
    if (i >= 0 && i < ZOOMS.length) {
      zoomAt(ZOOMS[i], px === undefined ? state.w / 2 : px,
             py === undefined ? state.h / 2 : py);
    }
  }
  function attach(canvas) {
    var drag = null;
    canvas.addEventListener('wheel', function (ev) {
      ev.preventDefault();
      var r = canvas.getBoundingClientRect();
      step(ev.deltaY < 0 ? 1 : -1, (ev.clientX - r.left) * canvas.width /
           r.width, (ev.clientY - r.top) * canvas.height / r.height);
    }, {passive: false});
    canvas.addEventListener('mousedown', function (ev) {
      drag = {x: ev.clientX, y: ev.clientY, sx: state.sx, sy: state.sy};
      ev.preventDefault();
    });
    window.addEventListener('mousemove', function (ev) {
      if (!drag) { return; }
      state.sx = drag.sx - (ev.clientX - drag.x) / state.zoom;
      state.sy = drag.sy - (ev.clientY - drag.y) / state.zoom;
      draw();
    });
    window.addEventListener('mouseup', function () { drag = null; });
  }
  function openImage(index) {
    var item = images[index];
    state.index = index;
    state.h = item.crop[2]; state.w = item.crop[3];
    state.zoom = 1; state.sx = 0; state.sy = 0;
    document.getElementById('viewer-title').textContent = item.dataset +
      '/' + item.key + ' — HR ' + item.size[1] + '×' + item.size[0] +
      ', crop at (' + item.crop[0] + ', ' + item.crop[1] + '), ' +
      state.w + '×' + state.h;
    panelBox.textContent = '';
    selA.textContent = ''; selB.textContent = '';
    state.loaded = item.files.map(function (file, i) {
      var label = item.panels[i], m = item.metrics[label];
      var fig = document.createElement('figure');
      var canvas = document.createElement('canvas');
      canvas.width = state.w; canvas.height = state.h;
      canvas.className = 'panel'; canvas.dataset.label = label;
      attach(canvas);
      var cap = document.createElement('figcaption');
      cap.textContent = label + (m ? ' ' + m.PSNR.toFixed(2) + ' dB / ' +
                                 m.SSIM.toFixed(4) : '');
      fig.appendChild(canvas); fig.appendChild(cap);
      panelBox.appendChild(fig);
      [selA, selB].forEach(function (sel) {
        var opt = document.createElement('option');
        opt.value = i; opt.textContent = label; sel.appendChild(opt);
      });
      var img = new Image();
      img.onload = draw;
      img.src = file;  // loaded only when its image is opened
      return img;
    });
    selA.value = 0;  // bicubic | the last run by default
    selB.value = Math.max(item.files.length - 2, 0);
    compare.width = state.w; compare.height = state.h;
    viewer.hidden = false;
    draw();
  }
  attach(compare);
  [slider, selA, selB].forEach(function (el) {
    el.addEventListener('input', draw);
  });
  document.getElementById('zoom-in').addEventListener('click',
    function () { step(1); });
  document.getElementById('zoom-out').addEventListener('click',
    function () { step(-1); });
  document.getElementById('zoom-reset').addEventListener('click',
    function () { zoomAt(1, 0, 0); });
  document.querySelectorAll('tr.open-image').forEach(function (row) {
    row.addEventListener('click', function () {
      openImage(+row.dataset.image);
      viewer.scrollIntoView();
    });
  });
  // for the browser tests and the curious: the view in image pixels
  window.srtReport = {
    state: state, openImage: openImage,
    view: function () {
      return {index: state.index, zoom: state.zoom, sx: state.sx,
              sy: state.sy, w: state.w, h: state.h,
              ready: state.loaded.every(function (i) { return i.complete; })};
    }
  };
  openImage(0);
})();
