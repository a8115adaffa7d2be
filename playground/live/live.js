// The live view: mounted once, then fed batches of frames that it plays back at an even pace.
// Every number comes from the server (playground/live/frames.py); this file looks colours up in
// palettes, lays things out and draws. Protocol (the `data` of each call):
//   {seq, playing, scene_id, scene?, curve?, frames: [frame, ...]}
// Triggers back to Python: pull (send the next batch), need (send the scene and code again),
// click {x1, x2}, layer {op, layer}. The loader in channel.py imports this module from `code`.

const DASHES = { dot: [2, 3], dash: [6, 4] };
const FPS_MAX = 60, FRAME_MS_MIN = 1000 / FPS_MAX, FRAME_MS_MAX = 250;

function hexRgb(h) {
  return [parseInt(h.slice(1, 3), 16), parseInt(h.slice(3, 5), 16), parseInt(h.slice(5, 7), 16)];
}

function unb64(s) {
  const bin = atob(s), out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function fmt(v) {
  if (v === null || v === undefined) return "–";
  if (v === 0 || Math.abs(v) >= 1e-3) return v.toFixed(4);
  return v.toExponential(3);
}

function cssVar(el, name, fallback) {
  const v = getComputedStyle(el).getPropertyValue(name).trim();
  return v || fallback;
}

// A small offscreen canvas painted from palette indices: one byte a pixel.
function indexImage(canvas, idx, offset, w, h, palette) {
  if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
  const ctx = canvas.getContext("2d"), img = ctx.createImageData(w, h), px = img.data;
  for (let i = 0; i < w * h; i++) {
    const c = palette[idx[offset + i]] || palette[0];
    px[4 * i] = c[0]; px[4 * i + 1] = c[1]; px[4 * i + 2] = c[2]; px[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  return canvas;
}

function setupCanvas(canvas, w, h) {
  const dpr = window.devicePixelRatio || 1;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr);
    canvas.style.width = w + "px"; canvas.style.height = h + "px";
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  return ctx;
}

class LiveView {
  constructor(root) {
    this.root = root;
    this.el = document.createElement("div");
    this.el.className = "nnp-live";
    this.el.innerHTML = `
      <div class="nnp-status"><span class="nnp-epoch" data-testid="nnp-epoch">Epoch 0</span>
        <span class="nnp-metrics"></span><span class="nnp-rate"></span></div>
      <div class="nnp-row">
        <div class="nnp-net"><div class="nnp-net-head"></div><canvas class="nnp-net-canvas"></canvas></div>
        <div class="nnp-side"><canvas class="nnp-plane"></canvas><canvas class="nnp-curve"></canvas></div>
      </div>
      <div class="nnp-race" hidden><canvas class="nnp-race-curve"></canvas><div class="nnp-planes"></div></div>
      <div class="nnp-shapes" hidden><canvas class="nnp-shapes-canvas"></canvas></div>
      <div class="nnp-tip" hidden></div>`;
    root.appendChild(this.el);
    this.q = (s) => this.el.querySelector(s);
    this.netCanvas = this.q(".nnp-net-canvas");
    this.planeCanvas = this.q(".nnp-plane");
    this.curveCanvas = this.q(".nnp-curve");
    this.raceCurve = this.q(".nnp-race-curve");
    this.smallPlanes = [];
    this.tip = this.q(".nnp-tip");
    this.scene = null; this.sceneId = null;
    this.queue = []; this.current = null; this.detail = null;
    this.curve = {}; this.lastSeq = null; this.playing = false;
    this.pending = false; this.pulledAt = 0; this.batchSize = 1;
    this.arrivals = []; this.events = []; this.nextDue = 0; this.drawn = 0;
    this.nodeCanvases = []; this.inputCanvases = []; this.planeImg = document.createElement("canvas");
    this.pointsLayer = null;
    this.loop = this.loop.bind(this);
    this.resize = () => { this.layout = null; this.pointsLayer = null; this.redraw(); };
    new ResizeObserver(this.resize).observe(this.el);
    this.netCanvas.addEventListener("mousemove", (e) => this.hoverNet(e));
    this.planeCanvas.addEventListener("mousemove", (e) => this.hoverPlane(e));
    this.curveCanvas.addEventListener("mousemove", (e) => this.hoverCurve(e, this.curveCanvas));
    this.raceCurve.addEventListener("mousemove", (e) => this.hoverCurve(e, this.raceCurve));
    for (const c of [this.netCanvas, this.planeCanvas, this.curveCanvas, this.raceCurve])
      c.addEventListener("mouseleave", () => { this.tip.hidden = true; });
    this.planeCanvas.addEventListener("click", (e) => this.clickPlane(e));
    window.__nnpLive = this;  // for tests and the browser benchmark
    requestAnimationFrame(this.loop);
  }

  // ---- protocol ----------------------------------------------------------------
  receive(data, trigger) {
    this.trigger = trigger;
    if (data.pause_on && !this.pauseBound) this.bindPause(data.pause_on);
    if (data.scene) this.installScene(data.scene);
    if (data.scene_id !== this.sceneId) {
      if (!this.askedScene || performance.now() - this.askedScene > 1000) {
        this.askedScene = performance.now();
        setTimeout(() => this.trigger("need", data.scene_id), 0);
      }
      return;
    }
    if (data.seq === this.lastSeq) return;
    this.lastSeq = data.seq;
    this.pending = false;
    const now = performance.now();
    this.events.push(["batch", Math.round(now), data.seq, (data.frames || []).length, this.queue.length]);
    if (this.events.length > 200) this.events.shift();
    if (data.curve) this.curve = JSON.parse(JSON.stringify(data.curve));
    const frames = data.frames || [];
    if (frames.length) this.q(".nnp-rate").textContent = "";
    // A batch pulled before a Pause click can land after it: it does not restart the playback;
    // the server's answer to the click (playing false) ends the wait.
    this.playing = !!data.playing && !this.clickPaused;
    if (!data.playing) this.clickPaused = false;
    this.holdMs = data.hold_ms || 0;
    if (!this.playing) {
      // Paused or stepped: show the server's state now, nothing queued.
      for (const f of this.queue) this.addPoints(f);
      this.queue = [];
      if (frames.length) {
        for (const f of frames.slice(0, -1)) this.addPoints(f);
        this.show(frames[frames.length - 1], !data.curve);
      } else this.redraw();
      this.arrivals = [];
      return;
    }
    this.arrivals.push(now);
    if (this.arrivals.length > 6) this.arrivals.shift();
    this.batchSize = Math.max(1, frames.length);
    for (const f of frames) this.queue.push(f);
    if (data.curve && !this.current && frames.length) { /* the first frame will add its points */ }
    this.maybePull();
  }

  // The page's Pause button reruns the server script, which takes a round trip; stop the
  // playback at the click, so that nothing moves after it but the server's final state.
  bindPause(selector) {
    this.pauseBound = true;
    document.addEventListener("click", (e) => {
      if (!(e.target instanceof Element) || !e.target.closest(selector)) return;
      if (this.playing) {
        this.playing = false; this.pending = false; this.clickPaused = true;
        for (const f of this.queue) this.addPoints(f);
        this.queue = [];
      } else {
        this.clickPaused = false;  // Play
        // Say so until the first frame arrives (a first run compiles the training step).
        if (!this.holdMs) this.q(".nnp-rate").textContent = "starting… (the first run of a network compiles its training step)";
      }
    }, true);
  }

  maybePull() {
    if (!this.playing || !this.trigger) return;
    const now = performance.now();
    if (this.holdMs) {
      // A fixed pace (a walk-through): the next state once this one has been shown long enough.
      if (!this.pending && !this.queue.length && now - (this.shownAt || 0) >= this.holdMs) {
        this.pending = true; this.pulledAt = now;
        const seq = this.lastSeq;
        setTimeout(() => this.trigger("pull", seq), 0);
      }
      return;
    }
    const stale = this.pending && now - this.pulledAt > 4000;  // a lost round trip: ask again
    if ((!this.pending && this.queue.length <= 2 * this.batchSize) || stale) {
      this.pending = true; this.pulledAt = now;
      this.events.push(["pull", Math.round(now), this.lastSeq, this.queue.length]);
      const seq = this.lastSeq;
      setTimeout(() => this.trigger("pull", seq), 0);
    }
  }

  frameInterval() {
    // Spread one batch over the time the next one takes to arrive; play faster when behind.
    let gap = 400;
    if (this.arrivals.length >= 2) gap = (this.arrivals[this.arrivals.length - 1] - this.arrivals[0]) / (this.arrivals.length - 1);
    let ms = gap / this.batchSize;
    if (this.queue.length > 2 * this.batchSize) ms /= 2;
    return Math.min(FRAME_MS_MAX, Math.max(FRAME_MS_MIN, ms));
  }

  loop(now) {
    requestAnimationFrame(this.loop);
    if (this.holdMs) this.maybePull();
    if (!this.queue.length || now < this.nextDue) return;
    // Far behind (a slow tab): keep every loss point, draw only the newest frames.
    while (this.queue.length > 3 * this.batchSize) this.addPoints(this.queue.shift());
    const f = this.queue.shift();
    this.show(f, true);
    this.nextDue = now + this.frameInterval();
    this.maybePull();
  }

  addPoints(f) {
    for (const k in f.points) {
      const a = (this.curve[k] = this.curve[k] || []);
      for (const v of f.points[k]) a.push(v);
    }
    // Thin for drawing: every other point, the newest kept, for each x array and its lines.
    const thin = (a) => a.filter((_, i) => i % 2 === 0 || i === a.length - 1);
    for (const xk of Object.keys(this.curve).filter((k) => k === "epoch" || k.endsWith(":epoch"))) {
      if (this.curve[xk].length <= 4000) continue;
      const prefix = xk.slice(0, xk.length - 5);
      for (const k of Object.keys(this.curve)) if (k.startsWith(prefix)) this.curve[k] = thin(this.curve[k]);
    }
  }

  show(f, addPoints) {
    if (addPoints) this.addPoints(f);
    this.current = f;
    this.shownAt = performance.now();
    if (f.weights) this.detail = f;
    this.drawn++;
    this.redraw();
  }

  // ---- scene -------------------------------------------------------------------
  installScene(scene) {
    this.scene = scene; this.sceneId = scene.id; this.layout = null; this.pointsLayer = null;
    this.palettes = scene.palettes.map((p) => p.map(hexRgb));
    this.race = scene.kind === "race";
    this.shapes = scene.kind === "shapes";
    this.q(".nnp-row").hidden = this.race || this.shapes;
    this.q(".nnp-race").hidden = !this.race;
    this.q(".nnp-shapes").hidden = !this.shapes;
    if (this.race) return this.buildRace();
    if (this.shapes) return;
    const net = scene.network, cells = net.cells, inputs = unb64(net.inputs);
    this.inputCanvases = net.columns[0].pal.map((pal, j) =>
      indexImage(document.createElement("canvas"), inputs, j * cells * cells, cells, cells, this.palettes[pal]));
    const hidden = net.columns.slice(1).reduce((s, c) => s + c.pal.length, 0);
    while (this.nodeCanvases.length < hidden) this.nodeCanvases.push(document.createElement("canvas"));
    this.buildHead();
  }

  // A race: one loss chart for every contender, and a small output plane for each.
  buildRace() {
    const box = this.q(".nnp-planes");
    box.innerHTML = "";
    this.smallPlanes = this.scene.planes.titles.map((title, i) => {
      const fig = document.createElement("figure");
      fig.className = "nnp-small";
      const c = document.createElement("canvas"), cap = document.createElement("figcaption");
      cap.textContent = title;
      cap.style.borderTop = `3px solid ${this.scene.planes.colors[i]}`;
      fig.append(c, cap);
      box.appendChild(fig);
      return c;
    });
  }

  raceSizes() {
    const width = this.q(".nnp-race").clientWidth || 800;
    const top = this.el.getBoundingClientRect().top + window.scrollY;
    const avail = Math.max(260, Math.min(800, window.innerHeight - Math.max(0, top) - 40));
    const n = this.smallPlanes.length, cols = n <= 4 ? 2 : 4, rows = Math.ceil(n / cols);
    const curveW = Math.max(300, Math.min(width * 0.55, width - 200));
    const cell = Math.max(70, Math.min((width - curveW - 16) / cols - 8, avail / rows - 26));
    return { curveW, curveH: avail, cell, cols };
  }

  drawRace() {
    const s = (this.layout = this.layout || this.raceSizes());
    this.drawCurve(this.raceCurve, s.curveW, s.curveH);
    const P = this.scene.planes, f = this.current;
    this.q(".nnp-planes").style.gridTemplateColumns = `repeat(${s.cols}, ${s.cell}px)`;
    const g = { m: { l: 0, t: 0, r: 0, b: 0 }, side: s.cell, w: s.cell, h: s.cell };
    this.smallPlanes.forEach((c, i) => this.drawPlaneOn(c, g, P, f && f.planes ? f.planes[i] : null, false));
    this.drawStatus();
  }

  // A diagram sent as primitives in data coordinates (playground/live/shapes.py).
  drawShapes() {
    const canvas = this.q(".nnp-shapes-canvas"), w = this.q(".nnp-shapes").clientWidth || 800;
    const h = this.scene.height, f = this.current;
    const ctx = setupCanvas(canvas, w, h);
    this.drawStatus();
    ctx.fillStyle = "#ffffff"; ctx.fillRect(0, 0, w, h);  // the diagram's colours are for a light page
    if (!f || !f.shapes) return;
    const [x0, x1, y0, y1] = f.shapes.range;
    const X = (x) => (x - x0) / (x1 - x0) * w, Y = (y) => h - (y - y0) / (y1 - y0) * h;
    for (const it of f.shapes.items) {
      if (it.k === "path") {
        ctx.beginPath();
        for (let i = 0; i + 1 < it.xy.length; i += 2) {
          const x = it.xy[i], y = it.xy[i + 1];
          if (x === null || y === null) continue;
          const prevNull = i === 0 || it.xy[i - 2] === null;
          if (prevNull) ctx.moveTo(X(x), Y(y)); else ctx.lineTo(X(x), Y(y));
        }
        ctx.globalAlpha = it.alpha; ctx.strokeStyle = it.color; ctx.lineWidth = it.width; ctx.stroke();
        ctx.globalAlpha = 1;
      } else if (it.k === "dots") {
        for (let i = 0; 2 * i + 1 < it.xy.length; i++) {
          const x = X(it.xy[2 * i]), y = Y(it.xy[2 * i + 1]), r = (it.size[i] || 8) / 2;
          ctx.beginPath(); ctx.arc(x, y, r, 0, 2 * Math.PI);
          if (it.fill[i]) { ctx.fillStyle = it.fill[i]; ctx.fill(); }
          if (it.stroke[i]) { ctx.strokeStyle = it.stroke[i]; ctx.lineWidth = it.sw; ctx.stroke(); }
          if (it.text && it.text[i]) {
            ctx.fillStyle = "#333333"; ctx.font = `${it.textsize}px sans-serif`;
            ctx.textAlign = "center"; ctx.textBaseline = "middle"; ctx.fillText(it.text[i], x, y);
          }
        }
      } else if (it.k === "text") {
        const lh = it.size + 3, n = it.lines.length;
        ctx.textBaseline = "middle";
        const widths = it.lines.map(([t, , b]) => { ctx.font = `${b ? "bold " : ""}${it.size}px sans-serif`; return ctx.measureText(t).width; });
        const bw = Math.max(...widths), bh = n * lh;
        let left = X(it.x), top = Y(it.y);
        left -= it.anchor[0] === "left" ? 0 : it.anchor[0] === "right" ? bw : bw / 2;
        top -= it.anchor[1] === "top" ? 0 : it.anchor[1] === "bottom" ? bh : bh / 2;
        if (it.bg) { ctx.fillStyle = it.bg; ctx.fillRect(left - 2, top, bw + 4, bh); }
        it.lines.forEach(([t, c, b], i) => {
          ctx.font = `${b ? "bold " : ""}${it.size}px sans-serif`;
          ctx.fillStyle = c || it.color || "#333333"; ctx.textAlign = "left";
          ctx.fillText(t, left, top + lh * i + lh / 2);
        });
      }
    }
    ctx.textBaseline = "alphabetic";
  }

  buildHead() {
    const head = this.q(".nnp-net-head");
    head.innerHTML = "";
    const net = this.scene.network;
    if (!net.editable) return;
    const mk = (text, title, op, layer) => {
      const b = document.createElement("button");
      b.type = "button"; b.textContent = text; b.title = title; b.className = "nnp-btn";
      b.dataset.op = op; if (layer !== undefined) b.dataset.layer = layer;
      b.addEventListener("click", () => this.trigger && this.trigger("layer", { op, layer: layer ?? null, t: Date.now() }));
      return b;
    };
    const layers = document.createElement("span");
    layers.className = "nnp-layer-btns";
    layers.append(mk("+ layer", "Add a hidden layer", "add_layer"), mk("− layer", "Remove the last hidden layer", "del_layer"));
    head.appendChild(layers);
    this.neuronBtns = net.columns.slice(1, -1).map((col, i) => {
      const g = document.createElement("span");
      g.className = "nnp-neuron-btns";
      g.append(mk("+", `Add a neuron to layer ${i + 1}`, "add_neuron", i), mk("−", `Remove a neuron from layer ${i + 1}`, "del_neuron", i));
      head.appendChild(g);
      return g;
    });
  }

  // ---- drawing -----------------------------------------------------------------
  sizes() {
    const row = this.q(".nnp-row");
    const width = row.clientWidth || 800;
    const top = this.el.getBoundingClientRect().top + window.scrollY;
    const avail = Math.max(300, Math.min(900, window.innerHeight - Math.max(0, top) - 40));
    const side = Math.min(Math.max(220, width * 0.42), avail * 0.62 + 40);
    const netW = Math.max(200, width - side - 16);
    return { netW, netH: avail, side, plane: Math.min(side, avail * 0.6), curveH: Math.max(120, avail - Math.min(side, avail * 0.6) - 8) };
  }

  redraw() {
    if (!this.scene) return;
    if (this.race) return this.drawRace();
    if (this.shapes) return this.drawShapes();
    const s = (this.layout = this.layout || this.sizes());
    this.drawNet(s);
    this.drawPlaneOn(this.planeCanvas, this.planeGeom(s), this.scene.plane, this.current && this.current.plane, true);
    const cg = this.curveGeom(s);
    this.drawCurve(this.curveCanvas, cg.w, cg.h);
    this.drawStatus();
  }

  drawStatus() {
    const f = this.current;
    const label = f && f.label ? f.label : "Epoch " + (f ? f.epoch : 0).toLocaleString("en-US");
    const el = this.q(".nnp-epoch");
    if (el.textContent !== label) el.textContent = label;  // one DOM change per new state
    const m = (f && f.metrics) || {};
    const parts = [];
    if ("train_loss" in m) parts.push(`train loss <b>${fmt(m.train_loss)}</b>`, `test loss <b>${fmt(m.test_loss)}</b>`);
    if ("test_accuracy" in m && m.test_accuracy !== null) parts.push(`test accuracy <b>${(100 * m.test_accuracy).toFixed(1)}%</b>`);
    this.q(".nnp-metrics").innerHTML = parts.join(" · ");
  }

  netLayout(w, h) {
    const cols = this.scene.network.columns;
    const n = cols.length, labelW = 64, headH = this.scene.network.editable ? 30 : 0, top = headH + 20;
    const maxCount = Math.max(...cols.map((c) => c.pal.length));
    const pitch = 1.3;
    const colGap = (w - labelW - 12) / Math.max(1, n - 0.6);
    const size = Math.max(8, Math.min(84, colGap / 2.4, (h - top - 8) / (maxCount * pitch)));
    const xs = cols.map((_, i) => labelW + size / 2 + i * colGap * (n > 1 ? (w - labelW - size - 8) / (colGap * (n - 1)) : 0));
    const nodes = cols.map((c, i) => c.pal.map((_, j) => ({
      x: xs[i], y: top + size / 2 + (j + (maxCount - c.pal.length) / 2) * size * pitch, col: i, j })));
    return { xs, size, nodes, top, headH };
  }

  drawNet(s) {
    const ctx = setupCanvas(this.netCanvas, s.netW, s.netH);
    const L = (this.netL = this.netLayout(s.netW, s.netH));
    const f = this.current, scene = this.scene, cols = scene.network.columns, size = L.size;
    const text = cssVar(this.root, "--st-text-color", "#31333f");
    ctx.font = "12px sans-serif"; ctx.fillStyle = text; ctx.textAlign = "center";
    cols.forEach((c, i) => ctx.fillText(c.header, L.xs[i], L.top - 6));
    // place the neuron buttons above their columns
    if (this.neuronBtns) this.neuronBtns.forEach((g, i) => { g.style.left = (L.xs[i + 1] - 24) + "px"; });
    if (f) {
      const codes = unb64(f.edges);
      const segs = [];
      let k = 0;
      const density = Math.min(1, Math.sqrt(8 / Math.max(...cols.map((c) => c.pal.length))));
      for (let i = 0; i + 1 < cols.length; i++) {
        for (const a of L.nodes[i]) for (const b of L.nodes[i + 1]) {
          segs.push([a.x + size / 2, a.y, b.x - size / 2, b.y, codes[k++]]);
        }
      }
      this.segs = segs;
      const orange = "#f59322", blue = "#0877bd";
      for (let code = 0; code < 16; code++) {
        const bin = code & 7; if (bin >= 6) continue;
        ctx.beginPath();
        let any = false;
        for (const sg of segs) if (sg[4] === code) { ctx.moveTo(sg[0], sg[1]); ctx.lineTo(sg[2], sg[3]); any = true; }
        if (!any) continue;
        ctx.strokeStyle = code & 8 ? blue : orange;
        ctx.globalAlpha = (0.3 + 0.12 * bin) * density;
        ctx.lineWidth = (0.6 + 1.1 * bin) * density;
        ctx.stroke();
      }
      ctx.globalAlpha = 1;
    }
    ctx.imageSmoothingEnabled = true; ctx.imageSmoothingQuality = "high";
    const cells = scene.network.cells, nodesIdx = f ? unb64(f.nodes) : null;
    let h = 0;
    const border = cssVar(this.root, "--st-border-color", "#bbbbbb");
    for (let i = 0; i < cols.length; i++) {
      for (const nd of L.nodes[i]) {
        let img = null;
        if (i === 0) img = this.inputCanvases[nd.j];
        else if (nodesIdx) img = indexImage(this.nodeCanvases[h], nodesIdx, h * cells * cells, cells, cells, this.palettes[cols[i].pal[nd.j]]);
        if (i > 0) h++;
        if (img) ctx.drawImage(img, nd.x - size / 2, nd.y - size / 2, size, size);
        ctx.strokeStyle = border; ctx.lineWidth = 1;
        ctx.strokeRect(nd.x - size / 2, nd.y - size / 2, size, size);
        if (i === 0) { ctx.textAlign = "right"; ctx.fillStyle = text; ctx.fillText(cols[0].labels[nd.j], nd.x - size / 2 - 5, nd.y + 4); }
      }
    }
  }

  planeGeom(s) {
    const m = { l: 30, t: 6, r: 6, b: 22 };
    const side = Math.max(80, Math.min(s.side - m.l - m.r, s.plane - m.t - m.b));
    return { m, side, w: side + m.l + m.r, h: side + m.t + m.b };
  }

  drawPlaneOn(canvas, g, P, pl, axes) {
    const ctx = setupCanvas(canvas, g.w, g.h);
    if (pl) {
      indexImage(this.planeImg, unb64(pl.img), 0, P.n, P.n, this.palettes[pl.pal]);
      ctx.imageSmoothingEnabled = !P.discretize && pl.kind === "value";
      ctx.globalAlpha = 0.85;
      ctx.drawImage(this.planeImg, g.m.l, g.m.t, g.side, g.side);
      ctx.globalAlpha = 1;
    }
    const key = `${g.w}x${g.h}:${axes}`;
    if (!this.pointsLayer || this.pointsKey !== key) { this.pointsLayer = this.renderPoints(g, P, axes); this.pointsKey = key; }
    ctx.drawImage(this.pointsLayer, 0, 0, g.w, g.h);
  }

  renderPoints(g, P, axes) {
    const dpr = window.devicePixelRatio || 1;
    const c = document.createElement("canvas");
    c.width = Math.round(g.w * dpr); c.height = Math.round(g.h * dpr);
    const ctx = c.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const text = cssVar(this.root, "--st-text-color", "#31333f");
    const toPx = (x, y) => [g.m.l + (x - P.lo) / (P.hi - P.lo) * g.side, g.m.t + (P.hi - y) / (P.hi - P.lo) * g.side];
    ctx.strokeStyle = text; ctx.lineWidth = 1; ctx.strokeRect(g.m.l, g.m.t, g.side, g.side);
    if (axes) {
      ctx.fillStyle = text; ctx.font = "12px sans-serif";
      const ticks = [P.lo, (P.lo + P.hi) / 2, P.hi];
      ctx.textAlign = "center";
      for (const t of ticks) ctx.fillText(+t.toFixed(1), toPx(t, 0)[0], g.m.t + g.side + 15);
      ctx.textAlign = "right";
      for (const t of ticks) ctx.fillText(+t.toFixed(1), g.m.l - 4, toPx(0, t)[1] + 4);
    }
    const r = axes ? 3.2 : 1.8;
    const pal = this.palettes[0];
    for (const [name, outline] of [["train", "#ffffff"], ["test", "#111111"]]) {
      const pts = P.points[name];
      if (!pts) continue;
      for (let i = 0; i < pts.c.length; i++) {
        const [px, py] = toPx(pts.x[2 * i], pts.x[2 * i + 1]);
        ctx.beginPath(); ctx.arc(px, py, r, 0, 2 * Math.PI);
        const c = P.regression ? pal[pts.c[i]] : hexRgb(P.classes[pts.c[i] % P.classes.length]);
        ctx.fillStyle = `rgb(${c[0]},${c[1]},${c[2]})`; ctx.fill();
        if (axes) { ctx.strokeStyle = outline; ctx.lineWidth = 1; ctx.stroke(); }
      }
    }
    return c;
  }

  curveGeom(s) {
    return { w: s.side, h: s.curveH };
  }

  drawCurve(canvas, w, h) {
    const g = { w, h, l: 46, r: 40, t: 22, b: 24 }, C = this.scene.curves;
    const ctx = setupCanvas(canvas, g.w, g.h);
    const text = cssVar(this.root, "--st-text-color", "#31333f");
    const grid = cssVar(this.root, "--st-border-color", "rgba(128,128,128,0.3)");
    const xsOf = (sr) => this.curve[sr.x || "epoch"] || [];
    ctx.font = "12px sans-serif";
    // legend, wrapped onto as many rows as the width needs
    let lx = g.l, ly = 10;
    for (const sr of C.series) {
      if (sr.legend === false) continue;
      const w = 28 + ctx.measureText(sr.name).width;
      if (lx + w > g.w && lx > g.l) { lx = g.l; ly += 16; }
      ctx.strokeStyle = sr.color; ctx.lineWidth = 2; ctx.setLineDash(DASHES[sr.dash] || []);
      ctx.beginPath(); ctx.moveTo(lx, ly); ctx.lineTo(lx + 16, ly); ctx.stroke();
      ctx.setLineDash([]); ctx.fillStyle = text; ctx.textAlign = "left";
      ctx.fillText(sr.name, lx + 19, ly + 4);
      lx += w + 6;
    }
    if (C.note) { if (lx > g.l) { lx = g.l; ly += 16; } ctx.fillStyle = text; ctx.textAlign = "left"; ctx.fillText(C.note, lx, ly + 4); }
    g.t = ly + 12;
    const pw = g.w - g.l - g.r, ph = g.h - g.t - g.b;
    ctx.strokeStyle = grid; ctx.lineWidth = 1; ctx.strokeRect(g.l, g.t, pw, ph);
    const ends = C.series.map((sr) => { const x = xsOf(sr); return x.length ? x[x.length - 1] : 0; });
    if (!ends.some((e) => e > 0)) return;
    const x0 = 0, x1 = Math.max(...ends, 1);
    const loss = C.series.filter((sr) => sr.axis === "loss").flatMap((sr) => (this.curve[sr.key] || []).filter((v) => v !== null && isFinite(v) && (!C.log || v > 0)));
    if (!loss.length) return;
    const tr = (v) => (C.log ? Math.log10(v) : v);
    let lo = C.log ? Math.min(...loss.map(tr)) : 0, hi = Math.max(...loss.map(tr));
    if (hi - lo < 1e-9) hi = lo + 1;
    this.curveScale = { x0, x1, lo, hi, tr, g, pw, ph };
    const X = (e) => g.l + (e - x0) / (x1 - x0) * pw;
    const Y = (v, axis) => axis === "accuracy" ? g.t + (1 - v) * ph : g.t + (1 - (tr(v) - lo) / (hi - lo)) * ph;
    for (const sr of C.series) {
      const ys = this.curve[sr.key] || [], ep = xsOf(sr);
      ctx.strokeStyle = sr.color; ctx.lineWidth = 1.8; ctx.setLineDash(DASHES[sr.dash] || []);
      ctx.beginPath();
      let pen = false;
      for (let i = 0; i < ep.length; i++) {
        const v = ys[i];
        if (v === null || v === undefined || !isFinite(v) || (C.log && sr.axis === "loss" && v <= 0)) { pen = false; continue; }
        const x = X(ep[i]), y = Y(v, sr.axis);
        if (pen) ctx.lineTo(x, y); else ctx.moveTo(x, y);
        pen = true;
      }
      ctx.stroke();
    }
    ctx.setLineDash([]);
    ctx.fillStyle = text; ctx.textAlign = "right";
    const short = (x) => (x !== 0 && (Math.abs(x) < 1e-3 || Math.abs(x) >= 1e4) ? x.toExponential(0) : Number(x.toPrecision(2)).toString());
    const lab = (v) => short(C.log ? Math.pow(10, v) : v);
    ctx.fillText(lab(hi), g.l - 4, g.t + 10); ctx.fillText(lab(lo), g.l - 4, g.t + ph);
    ctx.textAlign = "center";
    ctx.fillText("epoch", g.l + pw / 2, g.h - 6);
    ctx.textAlign = "left"; ctx.fillText("0", g.l, g.h - 6);
    ctx.textAlign = "right"; ctx.fillText(x1.toLocaleString("en-US"), g.l + pw, g.h - 6);
    if (C.series.some((sr) => sr.axis === "accuracy")) {
      ctx.textAlign = "left"; ctx.fillText("100%", g.l + pw + 4, g.t + 10); ctx.fillText("0%", g.l + pw + 4, g.t + ph);
    }
  }

  // ---- hover and clicks -----------------------------------------------------------
  // Plain text only (contender labels are the user's own words): lines split on "\n".
  showTip(e, text) {
    const r = this.el.getBoundingClientRect();
    this.tip.textContent = text; this.tip.hidden = false;
    this.tip.style.left = (e.clientX - r.left + 14) + "px";
    this.tip.style.top = (e.clientY - r.top + 14) + "px";
  }

  hoverNet(e) {
    const L = this.netL; if (!L) return;
    const r = this.netCanvas.getBoundingClientRect(), x = e.clientX - r.left, y = e.clientY - r.top;
    const cols = this.scene.network.columns;
    for (const col of L.nodes) for (const nd of col) {
      if (Math.abs(x - nd.x) <= L.size / 2 && Math.abs(y - nd.y) <= L.size / 2) {
        const c = cols[nd.col];
        if (nd.col === 0) return this.showTip(e, `input ${c.labels[nd.j]}`);
        let k = nd.j;
        for (let i = 1; i < nd.col; i++) k += cols[i].pal.length;
        const b = this.detail && this.detail.biases ? ` · bias ${fmt(this.detail.biases[k])}` : "";
        return this.showTip(e, c.hover[nd.j] + b);
      }
    }
    if (this.segs && this.detail && this.detail.weights) {
      let best = 5, bi = -1;
      this.segs.forEach((sg, i) => {
        const dx = sg[2] - sg[0], dy = sg[3] - sg[1], t = Math.max(0, Math.min(1, ((x - sg[0]) * dx + (y - sg[1]) * dy) / (dx * dx + dy * dy)));
        const d = Math.hypot(x - sg[0] - t * dx, y - sg[1] - t * dy);
        if (d < best) { best = d; bi = i; }
      });
      if (bi >= 0) {
        let i = bi, layer = 0;
        while (layer + 1 < cols.length && i >= cols[layer].pal.length * cols[layer + 1].pal.length) { i -= cols[layer].pal.length * cols[layer + 1].pal.length; layer++; }
        const a = Math.floor(i / cols[layer + 1].pal.length), b = i % cols[layer + 1].pal.length;
        return this.showTip(e, `${this.detail.weights_kind} [layer ${layer + 1}] ${a}→${b} = ${fmt(this.detail.weights[bi])} (epoch ${this.detail.epoch})`);
      }
    }
    this.tip.hidden = true;
  }

  planePoint(e) {
    const g = this.planeGeom(this.layout || this.sizes()), P = this.scene.plane;
    const r = this.planeCanvas.getBoundingClientRect();
    const u = (e.clientX - r.left - g.m.l) / g.side, v = (e.clientY - r.top - g.m.t) / g.side;
    if (u < 0 || u > 1 || v < 0 || v > 1) return null;
    return { x1: P.lo + u * (P.hi - P.lo), x2: P.hi - v * (P.hi - P.lo), u, v };
  }

  hoverPlane(e) {
    const p = this.planePoint(e), f = this.current; if (!p || !f) { this.tip.hidden = true; return; }
    const P = this.scene.plane, pl = f.plane, img = unb64(pl.img);
    const col = Math.min(P.n - 1, Math.floor(p.u * P.n)), row = Math.min(P.n - 1, Math.floor(p.v * P.n));
    const code = img[row * P.n + col];
    let what;
    if (pl.kind === "classes") what = `class ${Math.floor(code / pl.tints)}`;
    else what = `output ≈ ${(pl.range[0] + code / 255 * (pl.range[1] - pl.range[0])).toFixed(3)}`;
    const add = P.add_class !== null && P.add_class !== undefined ? "\nclick: add a point here" : "";
    this.showTip(e, `x1 ${p.x1.toFixed(2)}, x2 ${p.x2.toFixed(2)}\n${what}${add}`);
  }

  clickPlane(e) {
    const P = this.scene && this.scene.plane;
    if (!P || P.add_class === null || P.add_class === undefined || !this.trigger) return;
    const p = this.planePoint(e); if (!p) return;
    this.trigger("click", { x1: p.x1, x2: p.x2, t: Date.now() });
  }

  hoverCurve(e, canvas) {
    const S = this.curveScale; if (!S) return;
    const r = canvas.getBoundingClientRect(), x = e.clientX - r.left;
    const target = S.x0 + (x - S.g.l) / S.pw * (S.x1 - S.x0);
    let at = null;
    const lines = this.scene.curves.series.map((sr) => {
      const ep = this.curve[sr.x || "epoch"] || [];
      if (!ep.length) return `${sr.name} –`;
      let i = 0;
      for (let k = 0; k < ep.length; k++) if (Math.abs(ep[k] - target) < Math.abs(ep[i] - target)) i = k;
      at = at === null ? ep[i] : at;
      const v = (this.curve[sr.key] || [])[i];
      return `${sr.name} ${sr.axis === "accuracy" && v !== null ? (100 * v).toFixed(1) + "%" : fmt(v)}`;
    });
    if (at === null) return;
    this.showTip(e, `epoch ${at.toLocaleString("en-US")}\n${lines.join("\n")}`);
  }
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  let view = parentElement.__nnpLive;
  if (!view) view = parentElement.__nnpLive = new LiveView(parentElement);
  if (data) view.receive(data, setTriggerValue);
}
